import { dsPresentation, ensureZoneKey, type ZoneKey } from '../dns/dnssec.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { canonicalAddress, hostNameProblem } from '../config/public-values.js';
import { DEFAULT_DATA_DIR, DEFAULT_LIMITS, DEFAULT_PUBLIC_PORT, DEFAULT_RUN_AS, DEFAULT_STEP_LIMIT, loadPublicConfig, profileAddressing, type PublicConfig } from '../config/public-config.js';
import { publicZone } from '../config/public-zone.js';
import { renderZoneFile } from '../dns/zone-file.js';
import { ensurePki } from '../certs/pki.js';
import { servedTlsa } from '../certs/served-tlsa.js';
import { needsOwnDns } from '../profiles/profile-role.js';
import type { TlsaPublication } from '../certs/tlsa.js';
import { loadUserCertificate, type UserCertificate } from '../certs/user-certificate.js';
import { certificateRole } from '../certs/served-certificate.js';
import type { Profile } from '../profiles/profile-schema.js';
import { inZone, type Zone } from '../dns/zone-records.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { BUILTIN_CATALOGUE, loadCatalogue, selectProfiles, slotSpan } from '../profiles/catalogue.js';
import { DEFAULT_SUITES, SUITES } from '../profiles/profile-schema.js';
import { DEFAULT_NAMING, DEFAULT_ZONE, normalizeZone, parseNaming, profileNames } from '../profiles/naming.js';
import { VERSION } from '../version.js';
import { addConfigOption, applyPublicConfig, type OptionSources } from './config-option.js';
import { CERTS_DEFAULT_TEXT, defaultCertsDir, defaultPublicCertsDir } from './user-dirs.js';
import { examplesText } from './help-text.js';

interface ZoneFlags {
  config?: string;
  zone: string;
  address?: string[];
  dnsListen?: string;
  nameServer?: string;
  receivers: string;
  naming?: string;
  suite?: string[];
  certs?: string;
  out?: string;
}

/**
 * `badmx zone`: the public zone as an RFC 1035 master file, for a DNS provider to serve
 * ("external" DNS) or to read what badmx's own server will answer ("delegated" DNS). The
 * whole catalogue is published, so a run of a few profiles finds its names unchanged.
 */
export function registerZoneCommand(program: Command, { io }: CliContext): void {
  addConfigOption(
    program
      .command('zone')
      .description('print the public-mode zone (MX, A/AAAA and TXT per profile) as a standard zone file, with the delegation the parent zone needs'),
  )
    .option('--zone <zone>', 'the zone you control', DEFAULT_ZONE)
    .option('--address <ip...>', "receivers' public address: one (profiles take turns on it) or one per profile, in slot order")
    .option('--dns-listen <ip>', 'delegated DNS: the address badmx answers DNS on (port 53), for the glue record')
    .option('--name-server <host>', "the zone's primary name server (default ns.<zone>; with a DNS provider, the provider's)")
    .option('--receivers <dir>', 'profile catalogue directory (one JSON file per profile)', BUILTIN_CATALOGUE)
    .option('--naming <scheme>', 'profile names: nested (mx.tls1.2.<zone>) or flat (mx-tls1-2.<zone>, covered by one *.<zone> certificate); as given to badmx run')
    .option('--suite <name...>', `the profile suites to publish, as given to badmx run: ${[...SUITES, 'all'].join(', ')}`, [...DEFAULT_SUITES])
    .option('--certs <dir>', `where the test PKI and the zone's DNSSEC key are kept, as given to badmx run (default: with --config, <dataDir>/certs; else ${CERTS_DEFAULT_TEXT})`)
    .option('--out <file>', 'write the zone file here instead of to standard output')
    .addHelpText('after', examplesText(["badmx zone --config /etc/badmx/badmx.json --out /etc/badmx/badmx.test.zone", "badmx zone --zone badmx.example.com --address 203.0.113.25 --suite all"])).action(async (flags: ZoneFlags, command: Command) => {
      const base = flags.config ? loadPublicConfig(flags.config) : null;
      const suites = selectProfiles(loadCatalogue(resolve(flags.receivers)), undefined, flags.suite);
      const config = effectiveConfig(flags, base, command, slotSpan(suites));
      // A DNS provider cannot publish every DANE profile (certs/served-tlsa.ts): those are left out, and said so.
      const leftOut = config.dns.mode === 'external' ? suites.filter(needsOwnDns).map((p) => p.name) : [];
      const profiles = suites.filter((p) => !leftOut.includes(p.name));
      // The same directory badmx run --config uses without --certs, or the DS names another key.
      const certsDir = resolve(flags.certs ?? (base ? defaultPublicCertsDir(base.dataDir) : defaultCertsDir(io.env)));
      const tlsa = await zoneTlsa(config, profiles, certsDir);
      const zone = publicZone(config, profiles, [], tlsa.found);
      const key = ensureZoneKey(certsDir, config.zone);
      const comments = headerComments(config, zone, profiles.length, flags.config, key);
      if (tlsa.later.length > 0) comments.push(`No TLSA records here for ${tlsa.later.join(', ')}: they serve the certificate ${config.certificate?.cert ?? ''}, which cannot be read now (${tlsa.why}); badmx's own DNS publishes them at run time, from the certificate it serves.`);
      const ownDns = profiles.filter(needsOwnDns).map((p) => p.name);
      if (ownDns.length > 0) {
        comments.push(`${ownDns.join(' and ')}: badmx itself serves them as their profiles say (a TLSA record whose signature is broken; an MX host in an unsigned child zone, below its NS record here); another server loading this file would not.`);
      }
      if (leftOut.length > 0) comments.push(`Left out: ${leftOut.join(', ')}. Their TLSA records must fail validation or sit in an unsigned child zone, which a DNS provider cannot serve: delegate the zone to badmx to test them.`);
      const text = renderZoneFile(zone, { comments });
      if (flags.out) {
        const out = resolve(flags.out);
        writeAtomic(out, text);
        io.stdout.write(`zone: ${out}\n`);
      } else {
        io.stdout.write(text);
      }
    });
}

/**
 * The TLSA records of the DANE profiles, from the certificates the receivers will serve: the
 * test PKI in --certs (made now if missing, as badmx run would), or the configuration's own
 * certificate where the fleet serves it (certs/served-tlsa.ts).
 */
async function zoneTlsa(config: PublicConfig, profiles: Profile[], certsDir: string): Promise<{ found: Map<string, TlsaPublication>; later: string[]; why: string }> {
  const dane = profiles.filter((p) => p.dane);
  const found = new Map<string, TlsaPublication>();
  const later: string[] = [];
  if (dane.length === 0) return { found, later, why: '' };
  // The certificate may not exist yet (an ACME client needs the zone first): with badmx's own DNS
  // the records it would name are published at run time; a DNS provider needs them now.
  let user: UserCertificate | null = null;
  let why = '';
  try {
    user = config.certificate ? loadUserCertificate(config.certificate) : null;
  } catch (error) {
    if (config.dns.mode === 'external') throw new BadmxError(`the DANE profiles' TLSA records name the keys of the certificate the receivers serve: ${(error as Error).message}`, 'EUSAGE', { cause: error });
    why = (error as Error).message;
  }
  const pki = await ensurePki({ dir: certsDir, zone: config.zone, profiles, naming: config.naming });
  try {
    for (const profile of dane) {
      const names = profileNames(profile, config.zone, config.naming);
      // Which profiles serve it depends on the names it covers: any that could, waits for it.
      if (config.certificate && !user && profile.dane?.tlsa !== 'no-match' && ['valid', 'wrong-name'].includes(certificateRole(profile))) {
        later.push(profile.name);
        continue;
      }
      const tlsa = servedTlsa(profile, names, pki, user);
      if (tlsa) found.set(profile.name, tlsa);
    }
  } finally {
    pki.release();
  }
  return { found, later, why };
}

/**
 * The configuration the zone is built from: the file, with every flag the user typed
 * winning over it (see config-option.ts). Without a file, the flags alone must say where
 * the receivers are and who answers for the zone.
 */
function effectiveConfig(flags: ZoneFlags, base: PublicConfig | null, command: OptionSources, profileCount: number): PublicConfig {
  const given = (key: keyof ZoneFlags): boolean => ['cli', 'env'].includes(command.getOptionValueSource(key) ?? '');
  const zone = normalizeZone(base ? applyPublicConfig({ zone: flags.zone }, base, command).zone : flags.zone);

  // From the file, the count is checked against the catalogue here, where the error can still name the file.
  if (base && !given('address')) profileAddressing(base, profileCount);
  const addresses = given('address') ? (flags.address ?? []).map((a) => flagAddress(a, '--address')) : base?.listen.addresses;
  if (!addresses) throw new BadmxError("badmx zone needs the receivers' addresses: --address <ip> (once, or once per profile) or --config <file>", 'EUSAGE');
  const twice = addresses.find((a, i) => addresses.indexOf(a) !== i);
  if (twice) throw new BadmxError(`--address ${twice} is given twice: each profile needs its own address, or give exactly one`, 'EUSAGE');
  if (given('address') && addresses.length > 1 && addresses.length < profileCount) {
    throw new BadmxError(
      `--address is given ${addresses.length} times for ${profileCount} profiles: give it once (the profiles take turns on that address) or ${profileCount} times (one per profile, in slot order)`,
      'EUSAGE',
    );
  }

  const dnsListen = given('dnsListen') ? flagAddress(flags.dnsListen ?? '', '--dns-listen') : (base?.dns.listen ?? null);
  const mode = given('dnsListen') ? 'delegated' : (base?.dns.mode ?? (given('nameServer') ? 'external' : null));
  if (!mode) {
    throw new BadmxError(
      'badmx zone needs to know who answers for the zone: --dns-listen <ip> (badmx itself, delegated from the parent) or --name-server <host> (your DNS provider), or --config <file>',
      'EUSAGE',
    );
  }
  let nameServer: string;
  if (given('nameServer')) {
    nameServer = (flags.nameServer ?? '').trim().toLowerCase().replace(/\.$/, '');
    const problem = hostNameProblem(nameServer);
    if (problem) throw new BadmxError(`--name-server ${JSON.stringify(flags.nameServer)} ${problem}`, 'EUSAGE');
  } else if (base && inZone(base.dns.nameServer, base.zone)) {
    // ns.<file's zone> follows the zone when --zone moves it.
    nameServer = `${base.dns.nameServer.slice(0, -base.zone.length)}${zone}`;
  } else {
    nameServer = base?.dns.nameServer ?? `ns.${zone}`;
  }
  if (mode === 'external' && inZone(nameServer, zone)) {
    throw new BadmxError(
      `the name server ${nameServer} is inside the zone, and with a DNS provider nothing answers there: give --name-server <your provider's primary name server>, or --dns-listen <ip> for badmx's own`,
      'EUSAGE',
    );
  }

  return {
    zone,
    listen: { addresses, port: base?.listen.port ?? DEFAULT_PUBLIC_PORT },
    dns: { mode, listen: mode === 'delegated' ? dnsListen : null, nameServer },
    certificate: base?.certificate ?? null,
    dataDir: base?.dataDir ?? DEFAULT_DATA_DIR,
    schedule: base?.schedule ?? { stepLimit: DEFAULT_STEP_LIMIT },
    runAs: base ? base.runAs : DEFAULT_RUN_AS,
    limits: base?.limits ?? { ...DEFAULT_LIMITS },
    naming: given('naming') ? parseNaming(flags.naming ?? '') : (base?.naming ?? DEFAULT_NAMING),
  };
}

function flagAddress(value: string, flag: string): string {
  const canonical = canonicalAddress(value);
  if (typeof canonical !== 'string') throw new BadmxError(`${flag}: ${canonical.problem}`, 'EUSAGE');
  return canonical;
}

/** What the zone is, and what has to happen outside it (the parent's delegation, or the provider import). */
function headerComments(config: PublicConfig, zone: Zone, profileCount: number, source: string | undefined, key: ZoneKey): string[] {
  const { addresses, port } = config.listen;
  const lines = [
    `badmx public zone ${config.zone}: ${profileCount} receiver profiles, ` +
      (addresses.length >= profileCount
        ? 'each on its own address, all live.'
        : `all on ${addresses[0]}: they take turns there (sequential schedule), so every MX name points at it.`),
    `Generated by badmx ${VERSION}${source ? ` from ${source}` : ''} at ${new Date().toISOString()}; the SOA serial is seconds since 1970, so each new file is newer (RFC 1982).`,
  ];
  if (port !== 25) {
    lines.push(`Receivers listen on port ${port}, but senders deliver to port 25 (an MX has no port, RFC 5321 §5.1): forward 25/tcp to ${port}.`);
  }
  lines.push('');
  const parent = config.zone.split('.').slice(1).join('.');
  const ns = config.dns.nameServer;
  if (config.dns.mode === 'delegated' && config.dns.listen) {
    const glueType = config.dns.listen.includes(':') ? 'AAAA' : 'A';
    lines.push(
      `DNS "delegated": badmx answers for ${config.zone} itself, on ${config.dns.listen} port 53 (53/udp and 53/tcp open), with exactly these records.`,
      `The parent zone (${parent}, or wherever ${config.zone} is cut) needs this delegation:`,
      `  ${config.zone}. 3600 IN NS ${ns}.`,
    );
    if (inZone(ns, config.zone)) lines.push(`  ${ns}. 3600 IN ${glueType} ${config.dns.listen}    ; glue: the name server is inside the zone it serves`);
    else lines.push(`  (no glue: ${ns} is outside the zone; its own zone must give it the address ${config.dns.listen})`);
    lines.push(
      `badmx signs the zone (DNSSEC, ECDSA P-256, algorithm 13; the key is kept in its certs directory). For validating resolvers to trust it, the parent also needs this DS:`,
      `  ${dsPresentation(key).replaceAll('\t', ' ')}`,
      'With a DNS provider instead: set dns.mode "external" and dns.nameServer to its server, and import the file that prints.',
    );
  } else {
    lines.push(
      `DNS "external": import this file at your DNS provider as the zone ${config.zone} (providers keep their own SOA and NS; those below name ${ns}), and delegate ${config.zone} to the provider's name servers at the parent (${parent}).`,
      'DNSSEC: sign the zone at the provider (its own keys) and publish the DS record it gives you at the parent; badmx\'s own key signs only what badmx serves.',
    );
  }
  lines.push(`${zone.records.length + 1} records follow; every name is absolute.`);
  return lines;
}
