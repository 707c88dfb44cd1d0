import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadUserCertificate, type UserCertificate } from '../certs/user-certificate.js';
import { needsOwnDns } from '../profiles/profile-role.js';
import { BadmxError } from '../errors.js';
import { BUILTIN_CATALOGUE, loadCatalogue, selectProfiles } from '../profiles/catalogue.js';
import { DEFAULT_LIMITS, type ReceiverLimits } from '../receivers/limits.js';
import { DEFAULT_NAMING, DEFAULT_ZONE, normalizeZone, parseNaming, type Naming } from '../profiles/naming.js';
import { CERTS_DEFAULT_TEXT, defaultCertsDir } from './user-dirs.js';
import { DEFAULT_SUITES, SUITES, type Profile } from '../profiles/profile-schema.js';

/** Options every command that needs the fleet's profiles and PKI shares. */
export interface FleetSelectionFlags {
  zone: string;
  /** Unset: defaultCertsDir(). */
  certs?: string;
  receivers: string;
  profile?: string[];
  suite?: string[];
  naming?: string;
  cert?: string;
  key?: string;
  maxPerPeer?: string;
  maxPerPeerPerMinute?: string;
  /**
   * Set in public mode with a DNS provider (dns.mode "external"): the profiles only badmx's own
   * DNS can publish (certs/served-tlsa.ts needsOwnDns) are left out of a suite, and refused by name.
   */
  withoutOwnDns?: boolean;
}

export function addFleetSelectionOptions(command: Command): Command {
  return command
    .option('--zone <zone>', 'DNS zone the profiles live under', DEFAULT_ZONE)
    .option('--certs <dir>', `where the generated test PKI is cached (default: ${CERTS_DEFAULT_TEXT})`)
    .option('--receivers <dir>', 'profile catalogue directory (one JSON file per profile)', BUILTIN_CATALOGUE)
    .option('--profile <name...>', 'only these profiles (default: every profile of --suite)')
    .option('--suite <name...>', `profile suites without --profile: ${[...SUITES, 'all'].join(', ')}`, [...DEFAULT_SUITES])
    .option('--naming <scheme>', 'profile names: nested (<profile>.<zone>) or flat (<profile with - for .>.<zone>, for one *.<zone> certificate)', DEFAULT_NAMING)
    .option('--cert <pem>', 'publicly trusted certificate chain (leaf first) served where a valid certificate is needed; with --key')
    .option('--key <pem>', 'the private key of --cert (unencrypted PEM)')
    .option('--max-per-peer <n>', 'connections open at once from one address, per profile', String(DEFAULT_LIMITS.maxConnectionsPerPeer))
    .option('--max-per-peer-per-minute <n>', 'new connections from one address per profile per minute', String(DEFAULT_LIMITS.maxNewConnectionsPerPeerPerMinute));
}

export interface FleetSelection {
  zone: string;
  certsDir: string;
  profiles: Profile[];
  naming: Naming;
  userCertificate: UserCertificate | null;
  limits: Partial<ReceiverLimits>;
  /** Profiles of the chosen suites left out because the zone is at a DNS provider (withoutOwnDns). */
  leftOut: string[];
}

/** --certs as given, or its default (defaultCertsDir), as an absolute path. */
export function certsDirOf(flags: { certs?: string | undefined }, env: Readonly<Record<string, string | undefined>>): string {
  return resolve(flags.certs ?? defaultCertsDir(env));
}

/** Validate and normalize the shared flags, in one place. */
export function normalizeFleetSelection(flags: FleetSelectionFlags, env: Readonly<Record<string, string | undefined>> = process.env): FleetSelection {
  const zone = normalizeZone(flags.zone);
  const selected = selectProfiles(loadCatalogue(resolve(flags.receivers)), flags.profile, flags.suite);
  const unpublishable = flags.withoutOwnDns ? selected.filter(needsOwnDns).map((p) => p.name) : [];
  if (unpublishable.length > 0 && flags.profile?.length) throw ownDnsError(unpublishable);
  const profiles = selected.filter((p) => !unpublishable.includes(p.name));
  return {
    zone,
    certsDir: certsDirOf(flags, env),
    profiles,
    naming: parseNaming(flags.naming ?? DEFAULT_NAMING),
    userCertificate: loadFleetCertificate({ cert: flags.cert, key: flags.key }),
    limits: {
      maxConnectionsPerPeer: positiveInteger(flags.maxPerPeer, '--max-per-peer', DEFAULT_LIMITS.maxConnectionsPerPeer),
      maxNewConnectionsPerPeerPerMinute: positiveInteger(flags.maxPerPeerPerMinute, '--max-per-peer-per-minute', DEFAULT_LIMITS.maxNewConnectionsPerPeerPerMinute),
    },
    leftOut: unpublishable,
  };
}

/**
 * The user's certificate from flags or a config file's `{ cert, key }`: both or neither.
 * Paths are resolved against the working directory; problems are one line naming the file.
 */
export function loadFleetCertificate(options: { cert?: string | undefined; key?: string | undefined }, now?: Date): UserCertificate | null {
  const { cert, key } = options;
  if (!cert && !key) return null;
  if (!cert) throw new BadmxError('--key needs --cert: give the certificate chain (PEM, leaf first) too', 'EUSAGE');
  if (!key) throw new BadmxError('--cert needs --key: give the private key of the certificate too', 'EUSAGE');
  return loadUserCertificate({ cert: resolve(cert), key: resolve(key) }, now ? { now } : {});
}

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new BadmxError(`${flag} "${value}" is not a whole number of 1 or more`, 'EUSAGE');
  return n;
}

/** Why a DNS provider cannot serve these DANE profiles (served-tlsa.ts): one line, what to do. */
export function ownDnsError(profiles: string[]): BadmxError {
  return new BadmxError(
    `${profiles.join(', ')} need badmx's own DNS (dns.mode "delegated"): a DNS provider signs every record (no bogus signature) and cannot hold an unsigned child zone; name other profiles, or delegate the zone to badmx`,
    'EUSAGE',
  );
}
