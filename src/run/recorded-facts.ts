import { join, dirname } from 'node:path';
import { isDeliveryOf } from '../classify/classify-probe.js';
import { parseBounce, type ParsedBounce } from '../evidence/parse-bounce.js';
import { receivedHopsOldestFirst } from '../evidence/parse-received.js';
import { readMessageHead } from '../evidence/read-message-head.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Probe } from '../probes/probe.js';
import { readEventLog } from '../recorder/event-log.js';
import type { ReceiverEvent } from '../recorder/events.js';
import { TLSRPT_MAILBOX } from '../profiles/mta-sts-policy.js';
import { readTlsReportFile } from '../tlsrpt/read-tlsrpt-file.js';
import type { TlsReportsRead } from '../tlsrpt/read-tlsrpt.js';
import { BOUNCE_READ_BYTES, bounceEvidence, bounceProbes, isMailboxDelivery, MAX_BOUNCES_PER_PROBE, receivedBounce } from './bounce-evidence.js';

/**
 * Everything the receivers recorded that judging reads: this run's events, and what the
 * stored messages the cells quote say (each delivered probe's Received chain, each
 * notification to a probe's envelope sender). Reading them is the only I/O of the judging
 * stage; judgeRun (judge-run.ts) is a pure function of these facts, the plan, the senders'
 * answers and a clock value, so `run`, `resume` and `status` judge the same facts the same way.
 *
 * Messages are read one at a time and kept only as what they say (parsed), so judging holds no
 * message text: a relay (or, in public mode, anyone who learns a probe's address) that sends
 * many large messages costs reading time, not memory.
 */
export interface RecordedFacts {
  /** This run's events, in the order recorded (an --out directory reused keeps older runs' events: not these). */
  readonly events: readonly ReceiverEvent[];
  /**
   * The Received chain (oldest first) of stored messages that deliver a probe, by path relative
   * to the run directory: the first MAX_DELIVERIES_READ per probe. A message that could not be
   * read is absent: its cell has no chain, as if it had never been stored.
   */
  readonly receivedChains: ReadonlyMap<string, readonly ReceivedHop[]>;
  /** Stored messages to a probe's envelope sender that are delivery status notifications, parsed, by path. */
  readonly bounces: ReadonlyMap<string, ParsedBounce>;
  /**
   * TLS reports (RFC 8460) that arrived: mailed to the probes' domain's `tlsrpt` mailbox (§5.3) or
   * POSTed to a policy host (§5.4), each read and validated, or why it could not be.
   */
  readonly tlsReports: readonly ArrivedTlsReport[];
}

export interface ArrivedTlsReport {
  time: string;
  via: 'mail' | 'https';
  /** The stored mail or POST body, relative to the run directory. */
  file: string;
  /** The envelope sender of a mailed report; the client's address for a POST. */
  from: string | null;
  read: TlsReportsRead | null;
  /** Why it could not be read, when it could not. */
  error: string | null;
}

/** Reports read per run: a run that receives more keeps the rest on disk, unread. */
export const MAX_TLS_REPORTS_READ = 500;

/**
 * Deliveries of one probe whose Received chain is read. A probe is delivered once; more are a
 * relay's duplicates, or someone replaying it, and the cell quotes the first it was attributed.
 */
export const MAX_DELIVERIES_READ = 10;

/** Read the facts of the run that started at `startedAt` from its event log and message store. */
export function readRecordedFacts(input: { eventsFile: string; startedAt: string; probes: readonly Probe[]; mailboxDomain: string }): RecordedFacts {
  const events = readEventLog(input.eventsFile).events.filter((e) => e.time >= input.startedAt);
  const runDir = dirname(input.eventsFile);
  const probes = [...input.probes];
  const receivedChains = new Map<string, readonly ReceivedHop[]>();
  const bounces = new Map<string, ParsedBounce>();
  const bouncesOf = new Map<string, number>();
  const deliveriesOf = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'data' || !event.accepted || !event.file) continue;
    const file = event.file;
    // A notification, when it is addressed to a probe's envelope sender: counted per probe as
    // bouncesByProbe keeps them (those that say something about the probe), no more.
    if (isMailboxDelivery(event, input.mailboxDomain) && !bounces.has(file)) {
      const targets = bounceProbes(event, probes).filter((p) => (bouncesOf.get(p.id) ?? 0) < MAX_BOUNCES_PER_PROBE);
      const parsed = targets.length > 0 ? readParsed(runDir, file, BOUNCE_READ_BYTES, parseBounce) : null;
      if (parsed) {
        const about = targets.filter((p) => bounceEvidence(receivedBounce(event, parsed), p) !== null);
        if (about.length > 0) bounces.set(file, parsed);
        for (const p of about) bouncesOf.set(p.id, (bouncesOf.get(p.id) ?? 0) + 1);
      }
    }
    // And, independently, a probe's delivery (a transaction may carry both).
    const delivered = probes.filter((p) => isDeliveryOf(event, p) && (deliveriesOf.get(p.id) ?? 0) < MAX_DELIVERIES_READ);
    if (delivered.length > 0 && !receivedChains.has(file)) {
      const hops = readParsed(runDir, file, undefined, receivedHopsOldestFirst);
      if (hops) receivedChains.set(file, hops);
      for (const p of delivered) deliveriesOf.set(p.id, (deliveriesOf.get(p.id) ?? 0) + 1);
    }
  }
  return { events, receivedChains, bounces, tlsReports: arrivedTlsReports(events, runDir, input.mailboxDomain) };
}

/** The reports among this run's events: mail for tlsrpt@<probes' domain>, and POSTs the policy hosts stored. */
function arrivedTlsReports(events: readonly ReceiverEvent[], runDir: string, mailboxDomain: string): ArrivedTlsReport[] {
  const mailbox = `${TLSRPT_MAILBOX}@${mailboxDomain}`.toLowerCase();
  const arrived: ArrivedTlsReport[] = [];
  for (const event of events) {
    if (arrived.length >= MAX_TLS_REPORTS_READ) break;
    let found: Omit<ArrivedTlsReport, 'read' | 'error'> | null = null;
    if (event.type === 'data' && event.accepted && event.file && event.rcptTo.some((r) => r.toLowerCase() === mailbox)) {
      found = { time: event.time, via: 'mail', file: event.file, from: event.mailFrom };
    } else if (event.type === 'tlsrpt-post' && event.file) {
      found = { time: event.time, via: 'https', file: event.file, from: event.peer.address };
    }
    if (!found) continue;
    try {
      arrived.push({ ...found, read: readTlsReportFile(join(runDir, found.file), { label: found.file }), error: null });
    } catch (error) {
      arrived.push({ ...found, read: null, error: (error as Error).message });
    }
  }
  return arrived;
}

/** A stored message read (its first `maxBytes`, default readMessageHead's) and parsed; null when unreadable or when the parser finds nothing. */
function readParsed<T>(runDir: string, file: string, maxBytes: number | undefined, parse: (text: string) => T | null): T | null {
  let text: string;
  try {
    text = readMessageHead(join(runDir, file), maxBytes);
  } catch {
    return null;
  }
  return parse(text);
}
