import { listenAddress, type Addressing } from './addressing.js';
import type { Profile } from './profile-schema.js';
import { DEFAULT_NAMING, profileNames, type Naming, type ProfileNames } from './naming.js';

/**
 * The probes' own domain, `probes.<zone>`: the envelope sender and From domain of every
 * probe. It must exist, or a relay that checks the sender's domain (Postfix
 * `reject_unknown_sender_domain`, Exim `verify = sender`, most submission services) refuses
 * every probe at RCPT with "553 5.1.8 Domain of sender address … does not exist", and the
 * run would measure the harness, not the sender. It is published with an MX, an address
 * and a permissive SPF record, and a receiver accepts mail for it: the delivery status
 * notifications (RFC 3464) senders send back, which say in the sender's own words why a
 * probe was not delivered.
 *
 * The mailbox is a well-configured receiver (STARTTLS, TLS 1.2–1.3, a valid certificate
 * for its names), so that even a strict sender can deliver its bounce to it. With an
 * address per profile it listens on its own slot; on a shared address (or a list of them)
 * every profile's receiver accepts mail for the probes' domain as well, and the MX points
 * at the shared (or first) address.
 */
export const MAILBOX_NAME = 'probes';

/** Its slot: the last one, well clear of the catalogue's (and of the harness DNS on .253). */
export const MAILBOX_SLOT = 254;

/** The TXT published on the probes' domain, beside its SPF record. */
export const MAILBOX_DESCRIPTION = "badmx: the probes' own domain (their envelope sender); receives delivery status notifications";

export function mailboxDomain(zone: string): string {
  return `${MAILBOX_NAME}.${zone.toLowerCase().replace(/\.$/, '')}`;
}

/** The mailbox as a profile: what the PKI issues a certificate for and the receiver serves. */
export function mailboxProfile(): Profile {
  return {
    name: MAILBOX_NAME,
    slot: MAILBOX_SLOT,
    title: "The probes' own domain: receives delivery status notifications",
    tests: 'Not a test: where senders send their bounces and delay notices for probes',
    starttls: 'offer',
    tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
    certificate: { issuer: 'intermediate', names: 'profile', validity: 'current', signature: 'sha256', chain: 'with-intermediate', keyBits: 2048, eku: 'server-auth' },
    suite: 'study',
    references: ['RFC 3464', 'RFC 7208'],
  };
}

export function mailboxNames(zone: string, naming: Naming = DEFAULT_NAMING): ProfileNames {
  // The domain is probes.<zone> under either naming; flat naming only flattens the MX host.
  return { ...profileNames(mailboxProfile(), zone, naming), domain: mailboxDomain(zone) };
}

/**
 * Where the mailbox listens on its own, or null where the profiles' receivers take its
 * mail (a shared address, an explicit list of public addresses: no address to spare).
 */
export function mailboxListenAddress(addressing: Addressing): { address: string; port: number } | null {
  if (addressing.kind === 'shared' || addressing.kind === 'per-profile-list') return null;
  if (addressing.kind === 'port-range') {
    // The port of slot 254, or the one below the range when that would not fit.
    const port = addressing.firstPort + MAILBOX_SLOT - 1;
    return { address: addressing.address, port: port <= 65_535 ? port : addressing.firstPort - 1 };
  }
  // .254 of the base's /24 (<base>.254 for the usual base ending in .0), whatever the base's last octet.
  const octets = addressing.base.split('.');
  return { address: [...octets.slice(0, 3), String(MAILBOX_SLOT)].join('.'), port: addressing.port };
}

/** The address the probes' MX points at: its own listener, or the shared (first) address. */
export function mailboxPublishedAddress(addressing: Addressing): string {
  const own = mailboxListenAddress(addressing);
  if (own) return own.address;
  if (addressing.kind === 'shared') return addressing.address;
  if (addressing.kind === 'per-profile-list') return addressing.addresses[0] ?? '127.0.0.1';
  return listenAddress(addressing, 1).address;
}

/** Whether an address belongs to the probes' domain (a bounce, or the probe's own envelope sender). */
export function isMailboxAddress(address: string, zone: string): boolean {
  const at = address.lastIndexOf('@');
  return at >= 0 && address.slice(at + 1).toLowerCase() === mailboxDomain(zone);
}
