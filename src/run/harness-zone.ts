import { buildZone, type Zone } from '../dns/zone-records.js';
import { profileDescription } from '../config/public-zone.js';
import { MAILBOX_DESCRIPTION } from '../profiles/mailbox.js';
import type { StsPublication } from '../profiles/mta-sts-policy.js';
import type { TlsaPublication } from '../certs/tlsa.js';
import type { RevocationPublication } from '../profiles/revocation.js';

/** What the harness zone is made from: the fleet's names and addresses, and the probes' mailbox. */
export interface ZoneSource {
  zone: string;
  members: { name: string; title: string; domain: string; hostname: string; address: string; sts?: StsPublication | null; tlsa?: TlsaPublication | null; revocation?: RevocationPublication | null }[];
  /** The probes' own domain (mailbox.ts): its MX host and the address that host resolves to. */
  mailbox: { domain: string; hostname: string; address: string };
}

/**
 * The zone as the harness DNS should answer now: each profile's MX, address and TXT, and the
 * probes' own domain (MX, address, SPF that passes any host: profiles/mailbox.ts). With a shared address and a live profile,
 * every other profile's names answer SERVFAIL, so a sender retrying a probe whose step is
 * over waits instead of reaching the live profile's receiver. The probes' domain is never
 * dormant: a bounce can come at any time.
 */
export function harnessZone(source: ZoneSource, nameServerAddress: string, live: string | null = null): Zone {
  const zone = buildZone({
    origin: source.zone,
    hosts: source.members.map((m) => ({ domain: m.domain, hostname: m.hostname, address: m.address, description: profileDescription(m), mtaSts: m.sts ?? null, tlsa: m.tlsa ?? null, revocation: m.revocation ?? null })),
    nameServer: { hostname: `ns.${source.zone}`, address: nameServerAddress },
    mailbox: { ...source.mailbox, description: MAILBOX_DESCRIPTION },
  });
  // Both names: with flat naming the MX host is not below the recipient domain.
  if (live !== null) zone.dormant = source.members.filter((m) => m.name !== live).flatMap((m) => [m.domain, m.hostname]);
  return zone;
}
