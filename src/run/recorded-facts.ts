import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeliveryOf } from '../classify/classify-probe.js';
import { MESSAGE_HEAD_BYTES } from '../evidence/read-message-head.js';
import type { Probe } from '../probes/probe.js';
import { readEventLog } from '../recorder/event-log.js';
import type { ReceiverEvent } from '../recorder/events.js';
import { BOUNCE_READ_BYTES, bounceProbes, isMailboxDelivery, MAX_BOUNCES_PER_PROBE } from './bounce-evidence.js';

/**
 * Everything the receivers recorded that judging reads: this run's events and the stored
 * messages the cells quote. Reading them is the only I/O of the judging stage; judgeRun
 * (judge-run.ts) is a pure function of these facts, the plan, the senders' answers and a
 * clock value, so `run`, `resume` and `status` judge the same facts the same way.
 */
export interface RecordedFacts {
  /** This run's events, in the order recorded (an --out directory reused keeps older runs' events: not these). */
  readonly events: readonly ReceiverEvent[];
  /**
   * The text of each stored message judging reads, by its path relative to the run
   * directory: a probe's delivery (its header, for the Received chain) and a notification
   * to a probe's envelope sender (its first BOUNCE_READ_BYTES, for the report part). A
   * message that could not be read is absent: no chain, no bounce, as if never stored.
   */
  readonly messages: ReadonlyMap<string, string>;
}

/** Read the facts of the run that started at `startedAt` from its event log and message store. */
export function readRecordedFacts(input: { eventsFile: string; startedAt: string; probes: readonly Probe[]; mailboxDomain: string }): RecordedFacts {
  const events = readEventLog(input.eventsFile).events.filter((e) => e.time >= input.startedAt);
  const runDir = dirname(input.eventsFile);
  const messages = new Map<string, string>();
  const bounces = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'data' || !event.accepted || !event.file || messages.has(event.file)) continue;
    const toMailbox: boolean = isMailboxDelivery(event, input.mailboxDomain);
    if (toMailbox) {
      // As many notifications per probe as bouncesByProbe keeps, no more: mail to a probe's sender address is anyone's to send.
      const targets = bounceProbes(event, [...input.probes]).filter((p) => (bounces.get(p.id) ?? 0) < MAX_BOUNCES_PER_PROBE);
      if (targets.length === 0) continue;
      const text = readHead(join(runDir, event.file), BOUNCE_READ_BYTES, false);
      if (text === null) continue;
      messages.set(event.file, text);
      for (const p of targets) bounces.set(p.id, (bounces.get(p.id) ?? 0) + 1);
    } else if (input.probes.some((probe) => isDeliveryOf(event, probe))) {
      const text = readHead(join(runDir, event.file), MESSAGE_HEAD_BYTES, true);
      if (text !== null) messages.set(event.file, text);
    }
  }
  return { events, messages };
}

/**
 * At most `maxBytes` of a stored message; with `headerOnly`, up to the blank line that ends
 * its header (RFC 5322 §2.1): the Received fields are all there, and a body is never kept in
 * memory for them. Null when the file cannot be read.
 */
function readHead(path: string, maxBytes: number, headerOnly: boolean): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    const chunk = Buffer.alloc(64 * 1024);
    while (length < maxBytes) {
      const read = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes - length), null);
      if (read === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, read)));
      length += read;
      if (headerOnly) {
        const text = Buffer.concat(chunks).toString('latin1');
        const end = /\r?\n\r?\n/.exec(text);
        if (end) return Buffer.concat(chunks).subarray(0, end.index + end[0].length).toString('utf8');
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
