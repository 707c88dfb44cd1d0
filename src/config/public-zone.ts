import { buildZone, type Zone, type ZoneHost, type ZoneRecord } from '../dns/zone-records.js';
import { MAILBOX_DESCRIPTION, mailboxNames, mailboxPublishedAddress } from '../profiles/mailbox.js';
import { profileNames } from '../profiles/naming.js';
import { slotSpan } from '../profiles/catalogue.js';
import { stsPublication } from '../profiles/mta-sts-policy.js';
import { revocationPublication } from '../profiles/revocation.js';
import type { Profile } from '../profiles/profile-schema.js';
import { profileAddressing, type PublicConfig } from './public-config.js';
import type { TlsaPublication } from '../certs/tlsa.js';

/**
 * The zone public mode publishes: per profile an MX for <profile>.<zone> pointing at
 * mx.<profile>.<zone>, that name's A/AAAA, and a TXT saying what the profile tests; the
 * probes' own domain probes.<zone> (MX, address, permissive SPF: profiles/mailbox.ts); the
 * name server (with its address when it is inside the zone, as glue). One function for
 * `badmx zone` and for the embedded server in delegated mode, so both publish the same.
 *
 * `tlsa`: the DANE profiles' TLSA records, computed from the certificates they serve (certs/served-tlsa.ts).
 *
 * `profiles`: the suites the runs probe. Per-profile addresses are handed out by slot (the
 * address of slot N is the Nth), as the fleet listens, so a subset moves no profile.
 */
export function publicZone(config: PublicConfig, profiles: readonly Profile[], extra: ZoneRecord[] = [], tlsa: ReadonlyMap<string, TlsaPublication> = new Map()): Zone {
  const addressing = profileAddressing(config, slotSpan(profiles));
  const hosts: ZoneHost[] = profiles.map((profile) => {
    const names = profileNames(profile, config.zone, config.naming);
    // In the shared (sequential) schedule every MX name points at the one address; only the profile whose turn it is answers.
    const address = addressing.kind === 'shared' ? addressing.address : (addressing.addresses[profile.slot - 1] as string);
    // The policy host (mta-sts.<domain>, RFC 8461 §3.3) resolves to the profile's own address, where badmx serves it on 443.
    // A revoked leaf's CRL host (crl.<domain>) likewise, where badmx serves the CRL over HTTP on 80.
    return {
      ...names,
      address,
      description: profileDescription(profile),
      mtaSts: stsPublication(profile.mtaSts, names, address),
      tlsa: tlsa.get(profile.name) ?? null,
      revocation: revocationPublication(profile.certificate, names, address),
    };
  });
  return buildZone({
    origin: config.zone,
    hosts,
    nameServer: { hostname: config.dns.nameServer, address: config.dns.mode === 'delegated' ? config.dns.listen : null },
    // On the shared address, or the first of the list, where every receiver accepts its mail.
    mailbox: { ...mailboxNames(config.zone, config.naming), address: mailboxPublishedAddress(addressing), description: MAILBOX_DESCRIPTION },
    extra,
  });
}

/** The TXT on each recipient domain: the same words the harness DNS publishes in local runs (src/run/run-matrix.ts). */
export function profileDescription(profile: Pick<Profile, 'name' | 'title'>): string {
  return `badmx profile ${profile.name}: ${profile.title}`;
}
