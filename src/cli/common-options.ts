import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadUserCertificate, type UserCertificate } from '../certs/user-certificate.js';
import { needsOwnDns } from '../profiles/profile-role.js';
import { BadmxError } from '../errors.js';
import { BUILTIN_CATALOGUE, loadCatalogue, selectProfiles } from '../profiles/catalogue.js';
import { DEFAULT_LIMITS, type ReceiverLimits } from '../receivers/limits.js';
import { DEFAULT_NAMING, DEFAULT_ZONE, normalizeZone, parseNaming, type Naming } from '../profiles/naming.js';
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

/** The default of --certs, as --help says it. */
export const CERTS_DEFAULT_TEXT = '$BADMX_CACHE/certs; else ./certs if an earlier badmx made a PKI there; else $XDG_CACHE_HOME/badmx/certs, /var/cache/badmx/certs as root, or ~/.cache/badmx/certs';

/**
 * Where the test PKI (and the zone's DNSSEC key) lives without --certs: a cache of the
 * user's, never the directory badmx runs from. In order:
 * - `$BADMX_CACHE/certs` (BADMX_CACHE is where the harness scripts put everything: the MTAs, Node);
 * - `./certs`, when it already holds a PKI (`pki.json`) that an earlier badmx made there
 *   (whose default was `certs` in the working directory): a relay configured to trust its
 *   root, and a DS published for its zone key, keep working;
 * - `$XDG_CACHE_HOME/badmx/certs` when XDG_CACHE_HOME is an absolute path (the XDG Base Directory rule);
 * - as root, `/var/cache/badmx/certs`, beside what the harness scripts install there;
 * - `~/.cache/badmx/certs`.
 * Public mode (--config) uses `<dataDir>/certs` instead (defaultPublicCertsDir).
 */
export function defaultCertsDir(env: Readonly<Record<string, string | undefined>>, options: { cwd?: string; uid?: number | undefined } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  if (env.BADMX_CACHE) return resolve(cwd, env.BADMX_CACHE, 'certs');
  const legacy = join(cwd, 'certs');
  if (existsSync(join(legacy, 'pki.json'))) return legacy;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'badmx', 'certs');
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  if (uid === 0) return '/var/cache/badmx/certs';
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.cache', 'badmx', 'certs');
}

/** Public mode without --certs: beside its runs, in the configuration's dataDir (/var/lib/badmx/certs for the systemd unit), so `badmx zone` and `badmx run` find the same DNSSEC key from any directory. */
export function defaultPublicCertsDir(dataDir: string): string {
  return join(dataDir, 'certs');
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
