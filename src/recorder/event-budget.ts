import type { SuppressedEvent } from './events.js';

/**
 * Event budgets: how many routine events (`command`, `reply`) a connection, and a peer
 * address across all its connections, may write one by one. A client that pipelines
 * 200,000 NOOPs would otherwise write some 270 bytes of log per 6-byte command, 45 times
 * what it sent; past a budget those events are only counted, and a `suppressed` event
 * gives the counts. Evidence (events.ts EVIDENCE_EVENT_TYPES) is never budgeted.
 */

const HOUR_MS = 3_600_000;
/** Forget peers whose bucket is full again once this many are known: a scan of many addresses must not grow memory. */
const SWEEP_AT = 1_024;
/** While a connection is over its budget, its counts are written this often (and at its close). */
export const SUMMARY_INTERVAL_MS = 60_000;
/** Distinct verbs (and reply codes) counted by name in a summary; the rest go under `*`. Verbs are the client's to choose. */
const MAX_KEYS = 16;

/**
 * Per-peer budget, shared by every receiver of a fleet (they share one log): a token
 * bucket per peer key that holds `perHour` routine events and refills at that rate, so
 * a peer that spreads a flood over many short connections is bounded as well.
 */
export class PeerEventBudget {
  readonly #perHour: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #sweepAt = SWEEP_AT;

  constructor(perHour: number, now: () => number = Date.now) {
    this.#perHour = perHour;
    this.#now = now;
  }

  /** Take one event's worth from the peer's bucket; false when it is empty. */
  take(key: string): boolean {
    const now = this.#now();
    if (this.#buckets.size >= this.#sweepAt) {
      for (const [k, bucket] of this.#buckets) if (this.#level(bucket, now) >= this.#perHour) this.#buckets.delete(k);
      this.#sweepAt = Math.max(SWEEP_AT, this.#buckets.size * 2);
    }
    const bucket = this.#buckets.get(key) ?? { tokens: this.#perHour, at: now };
    bucket.tokens = this.#level(bucket, now);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #level(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.#perHour, bucket.tokens + ((now - bucket.at) * this.#perHour) / HOUR_MS);
  }
}

export type RoutineEvent = { type: 'command'; verb: string } | { type: 'reply'; code: number };

export type SuppressedSummary = Omit<SuppressedEvent, 'seq' | 'time' | 'profile' | 'conn'>;

/**
 * One connection's budget: the first `perSession` routine events are written (while the
 * peer's budget lasts too); from the first one refused on, the rest of the connection's
 * routine events are counted, never written.
 */
export class SessionEventBudget {
  readonly #perSession: number;
  /** The peer's budget and key, or null for a peer exempt from it (loopback: the harness's own senders). */
  readonly #peer: { budget: PeerEventBudget; key: string } | null;
  readonly #now: () => number;
  #written = 0;
  #reason: SuppressedSummary['reason'] | null = null;
  #commands = 0;
  #replies = 0;
  readonly #verbs = new Map<string, number>();
  readonly #codes = new Map<string, number>();
  #lastSummaryAt = 0;
  #changed = false;

  constructor(perSession: number, peer: { budget: PeerEventBudget; key: string } | null, now: () => number = Date.now) {
    this.#perSession = perSession;
    this.#peer = peer;
    this.#now = now;
  }

  /** Whether this routine event may be written; if not, it is counted. */
  admit(event: RoutineEvent): boolean {
    if (this.#reason === null) {
      if (this.#written >= this.#perSession) this.#reason = 'session';
      else if (this.#peer && !this.#peer.budget.take(this.#peer.key)) this.#reason = 'peer';
      else {
        this.#written += 1;
        return true;
      }
      this.#lastSummaryAt = this.#now();
    }
    this.#count(event);
    return false;
  }

  /**
   * Count an event that is not written whatever the budget (a connection repeating the same
   * kind of evidence past its limit: EHLO, STARTTLS, MAIL or RCPT in a loop); from here on the
   * connection counts as over its budget.
   */
  suppress(event: RoutineEvent): void {
    if (this.#reason === null) {
      this.#reason = 'session';
      this.#lastSummaryAt = this.#now();
    }
    this.#count(event);
  }

  #count(event: RoutineEvent): void {
    this.#changed = true;
    if (event.type === 'command') {
      this.#commands += 1;
      count(this.#verbs, event.verb);
    } else {
      this.#replies += 1;
      count(this.#codes, String(event.code));
    }
  }

  /** The counts to write now: every SUMMARY_INTERVAL_MS while over budget, so a crash loses at most that much of them. */
  due(): SuppressedSummary | null {
    if (!this.#changed || this.#now() - this.#lastSummaryAt < SUMMARY_INTERVAL_MS) return null;
    return this.#summary(false);
  }

  /** The counts to write before the connection's close, or null if it never went over budget. */
  final(): SuppressedSummary | null {
    return this.#reason === null ? null : this.#summary(true);
  }

  #summary(final: boolean): SuppressedSummary {
    this.#lastSummaryAt = this.#now();
    this.#changed = false;
    return {
      type: 'suppressed',
      reason: this.#reason ?? 'session',
      commands: this.#commands,
      replies: this.#replies,
      verbs: Object.fromEntries(this.#verbs),
      codes: Object.fromEntries(this.#codes),
      final,
    };
  }
}

function count(map: Map<string, number>, key: string): void {
  const name = map.has(key) || map.size < MAX_KEYS - 1 ? key : '*';
  map.set(name, (map.get(name) ?? 0) + 1);
}
