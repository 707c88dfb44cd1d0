import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseBounce, type ParsedBounce } from '../evidence/parse-bounce.js';
import type { Probe } from '../probes/probe.js';
import { MAILBOX_NAME } from '../receivers/mailbox.js';
import type { DataEvent, ReceiverEvent } from '../recorder/events.js';
import type { BounceEvidence } from './run-document.js';

/** How much of a stored notification is read: the report part comes first, the returned message is not needed whole. */
const BOUNCE_READ_BYTES = 256 * 1024;

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
 * Connections that carried mail for the probes' domain, or reached the mailbox's own receiver:
 * notifications and whatever else came there, never a probe's attempt nor stray traffic at
 * a profile. They are set apart before connections are attributed to probes.
 */
export function mailboxConnections(events: ReceiverEvent[], mailboxDomain: string): Set<string> {
  const conns = new Set<string>();
  for (const event of events) {
    if (!event.conn) continue;
    if (event.profile === MAILBOX_NAME) conns.add(event.conn);
    else if (event.type === 'rcpt-to' && event.accepted && event.address.toLowerCase().endsWith(`@${mailboxDomain}`)) conns.add(event.conn);
  }
  return conns;
}

/** Read one stored message for the probes' domain as a notification; null when it is none (an auto-reply) or unreadable. */
export function readBounce(event: DataEvent, runDir: string): ReceivedBounce | null {
  if (!event.file) return null;
  let raw: Buffer;
  try {
    raw = readHead(join(runDir, event.file), BOUNCE_READ_BYTES);
  } catch {
    return null;
  }
  const parsed = parseBounce(raw);
  return parsed ? { conn: event.conn, at: event.time, file: event.file, rcptTo: event.rcptTo, parsed } : null;
}

/**
 * The probes a notification is about. Its envelope recipient is the probe's own envelope
 * sender, unique per probe: the strongest link. Otherwise the original Message-ID it quotes,
 * or the probe's recipient among its Final-Recipient fields or the addresses it mentions.
 */
export function bounceProbes(bounce: ReceivedBounce, probes: Probe[]): Probe[] {
  const rcpt = new Set(bounce.rcptTo.map((r) => r.toLowerCase()));
  const ids = new Set(bounce.parsed.originalMessageIds);
  const named = new Set([
    ...bounce.parsed.addresses.map((a) => a.toLowerCase()),
    ...bounce.parsed.recipients.flatMap((r) => [r.finalRecipient, r.originalRecipient]).filter((a): a is string => a !== null).map((a) => a.toLowerCase()),
  ]);
  const byEnvelope = probes.filter((p) => rcpt.has(p.from.toLowerCase()));
  if (byEnvelope.length > 0) return byEnvelope;
  return probes.filter((p) => ids.has(p.messageId) || named.has(p.recipient.toLowerCase()));
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

/** Every notification for each probe, in the order received. */
export function bouncesByProbe(events: ReceiverEvent[], probes: Probe[], runDir: string, mailboxDomain: string): Map<string, BounceEvidence[]> {
  const out = new Map<string, BounceEvidence[]>();
  for (const event of events) {
    if (!isMailboxDelivery(event, mailboxDomain)) continue;
    const bounce = readBounce(event, runDir);
    if (!bounce) continue;
    for (const probe of bounceProbes(bounce, probes)) {
      const evidence = bounceEvidence(bounce, probe);
      if (evidence) out.set(probe.id, [...(out.get(probe.id) ?? []), evidence]);
    }
  }
  return out;
}

function readHead(path: string, max: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(max);
    const n = readSync(fd, buffer, 0, max, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
