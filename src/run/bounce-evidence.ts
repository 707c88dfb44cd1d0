import { join } from 'node:path';
import { readMessageHead } from '../evidence/read-message-head.js';
import { parseBounce, type ParsedBounce } from '../evidence/parse-bounce.js';
import type { Probe } from '../probes/probe.js';
import { MAILBOX_NAME } from '../profiles/mailbox.js';
import type { DataEvent, ReceiverEvent } from '../recorder/events.js';
import type { BounceEvidence } from '../document/run-document.js';

/** How much of a stored notification is read: the report part comes first, the returned message is not needed whole. */
export const BOUNCE_READ_BYTES = 256 * 1024;

/** A notification the mailbox received, parsed. */
export interface ReceivedBounce {
  conn: string;
  at: string;
  /** The stored message, relative to the run directory. */
  file: string | null;
  /** Envelope recipients: a bounce goes to the probe's own envelope sender (RFC 5321 §4.5.5). */
  rcptTo: string[];
  parsed: ParsedBounce;
}

/** Whether an accepted message was addressed to the probes' own domain (mailbox.ts). */
export function isMailboxDelivery(event: ReceiverEvent, mailboxDomain: string): event is DataEvent {
  return event.type === 'data' && event.accepted && event.rcptTo.some((r) => r.toLowerCase().endsWith(`@${mailboxDomain}`));
}

/**
 * Connections that carried mail for the probes' domain, asked for the mailbox's name (SNI), or
 * reached the mailbox's own receiver: notifications and whatever else came there, never a
 * probe's attempt nor stray traffic at a profile. They are set apart before connections are
 * attributed to probes, except one that also names a probe's recipient (an MTA that reused
 * the connection for a probe after a bounce, on a shared address): that one stays evidence.
 */
export function mailboxConnections(events: ReceiverEvent[], mailboxDomain: string, probeRecipients: ReadonlySet<string>): Set<string> {
  const conns = new Set<string>();
  const naming = new Set<string>();
  // mx.probes.<zone> (nested naming) or mx-probes.<zone> (flat).
  const mailboxHost = (name: string): boolean => name === `mx.${mailboxDomain}` || name === `mx-${mailboxDomain}`;
  for (const event of events) {
    if (!event.conn) continue;
    if (event.profile === MAILBOX_NAME) conns.add(event.conn);
    else if (event.type === 'rcpt-to' && event.accepted && event.address.toLowerCase().endsWith(`@${mailboxDomain}`)) conns.add(event.conn);
    else if (event.type === 'tls' && event.sni !== null && mailboxHost(event.sni)) conns.add(event.conn);
    if (event.type === 'rcpt-to' && probeRecipients.has(event.address.toLowerCase())) naming.add(event.conn);
  }
  for (const conn of naming) conns.delete(conn);
  return conns;
}

/** Read one stored message for the probes' domain as a notification; null when it is none (an auto-reply) or unreadable. */
export function readBounce(event: DataEvent, runDir: string): ReceivedBounce | null {
  if (!event.file) return null;
  let raw: string;
  try {
    raw = readMessageHead(join(runDir, event.file), BOUNCE_READ_BYTES);
  } catch {
    return null;
  }
  return bounceFrom(event, raw);
}

/** A stored message's text (its first BOUNCE_READ_BYTES) as a notification; null when it is none (an auto-reply). */
export function bounceFrom(event: DataEvent, text: string): ReceivedBounce | null {
  const parsed = parseBounce(text);
  return parsed ? receivedBounce(event, parsed) : null;
}

/** A parsed notification with its envelope: where and when it came, to whom. */
export function receivedBounce(event: DataEvent, parsed: ParsedBounce): ReceivedBounce {
  return { conn: event.conn, at: event.time, file: event.file ?? null, rcptTo: event.rcptTo, parsed };
}

/**
 * The probes a notification is about: those whose own envelope sender it was addressed to.
 * A notification goes to the reverse-path of the message it is about (RFC 5321 §4.5.5, RFC
 * 3461 §6), which is unique per probe and carries a random token (probe.ts): what it quotes
 * (a Message-ID, a recipient) could be written by anyone who saw a probe, so it links nothing.
 */
export function bounceProbes(bounce: Pick<ReceivedBounce, 'rcptTo'>, probes: Probe[]): Probe[] {
  const rcpt = new Set(bounce.rcptTo.map((r) => r.toLowerCase()));
  return probes.filter((p) => rcpt.has(p.from.toLowerCase()));
}

/** What a notification says about one probe: the recipient block naming it, or the first. */
export function bounceEvidence(bounce: ReceivedBounce, probe: Probe): BounceEvidence | null {
  const blocks = bounce.parsed.recipients;
  const block =
    blocks.find((r) => [r.finalRecipient, r.originalRecipient].some((a) => a?.toLowerCase() === probe.recipient.toLowerCase())) ?? blocks[0];
  if (!block) return null;
  return {
    at: bounce.at,
    action: block.action,
    status: block.status,
    diagnostic: block.diagnostic,
    remoteMta: block.remoteMta,
    format: bounce.parsed.format,
    message: bounce.file,
  };
}

/** At most this many notifications are kept per probe (a sender sends a few: delays, then the bounce). */
export const MAX_BOUNCES_PER_PROBE = 10;

/**
 * Every notification for each probe, in the order received, from the stored notifications as
 * parsed (`parsed`, by path relative to the run directory: recorded-facts.ts reads them).
 * Only messages addressed to a probe's envelope sender count, so mail to other addresses at
 * the probes' domain (which any receiver accepts) is never read at all.
 */
export function bouncesByProbe(events: readonly ReceiverEvent[], probes: Probe[], parsed: ReadonlyMap<string, ParsedBounce>, mailboxDomain: string): Map<string, BounceEvidence[]> {
  const out = new Map<string, BounceEvidence[]>();
  for (const event of events) {
    if (!isMailboxDelivery(event, mailboxDomain)) continue;
    const targets = bounceProbes(event, probes).filter((p) => (out.get(p.id)?.length ?? 0) < MAX_BOUNCES_PER_PROBE);
    if (targets.length === 0) continue;
    const notification = event.file ? parsed.get(event.file) : undefined;
    if (!notification) continue;
    const bounce = receivedBounce(event, notification);
    for (const probe of targets) {
      const evidence = bounceEvidence(bounce, probe);
      if (evidence) out.set(probe.id, [...(out.get(probe.id) ?? []), evidence]);
    }
  }
  return out;
}
