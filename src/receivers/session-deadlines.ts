import type { ReceiverLimits } from './limits.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export type DeadlinePhase = 'command' | 'data';

export type Expiry = { phase: DeadlinePhase | 'session'; limitMs: number };

/**
 * The deadlines of one session (limits.commandTimeoutMs, dataTimeoutMs, sessionTimeoutMs):
 * the current phase's, restarted at each reply, and the session's own, fixed at its start.
 * Measured from a starting point and never extended by the bytes that arrive, unlike the
 * socket's idle timeout: a client trickling one byte at a time still runs out of time.
 *
 * One timer per session, moved only when a deadline comes closer: restarting the phase
 * after every reply (a pipelining client gets thousands a second) only stores a number,
 * and a timer that fires early finds nothing due and sleeps until the next deadline.
 */
export class SessionDeadlines {
  readonly #limits: Pick<ReceiverLimits, 'commandTimeoutMs' | 'dataTimeoutMs' | 'sessionTimeoutMs'>;
  readonly #onExpire: (expiry: Expiry) => void;
  readonly #now: () => number;
  readonly #sessionEndsAt: number;
  #phase: DeadlinePhase = 'command';
  #phaseEndsAt: number;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(
    limits: Pick<ReceiverLimits, 'commandTimeoutMs' | 'dataTimeoutMs' | 'sessionTimeoutMs'>,
    onExpire: (expiry: Expiry) => void,
    now: () => number = Date.now,
  ) {
    this.#limits = limits;
    this.#onExpire = onExpire;
    this.#now = now;
    const start = now();
    this.#sessionEndsAt = start + limits.sessionTimeoutMs;
    this.#phaseEndsAt = start + limits.commandTimeoutMs;
    this.#schedule();
  }

  get phase(): DeadlinePhase {
    return this.#phase;
  }

  /** The client owes us this now (a command line, or a whole message after 354): its clock starts. */
  expect(phase: DeadlinePhase): void {
    if (this.#stopped) return;
    this.#phase = phase;
    this.#phaseEndsAt = this.#now() + this.#phaseLimit(phase);
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #phaseLimit(phase: DeadlinePhase): number {
    return phase === 'data' ? this.#limits.dataTimeoutMs : this.#limits.commandTimeoutMs;
  }

  #schedule(): void {
    const at = Math.min(this.#phaseEndsAt, this.#sessionEndsAt);
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    // setTimeout takes at most 2^31-1 ms; a longer wait fires early, finds nothing due and waits again.
    this.#timer = setTimeout(() => this.#fire(), Math.min(MAX_TIMER_MS, Math.max(0, at - this.#now())));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#stopped) return;
    const now = this.#now();
    if (now >= this.#sessionEndsAt) {
      this.stop();
      this.#onExpire({ phase: 'session', limitMs: this.#limits.sessionTimeoutMs });
    } else if (now >= this.#phaseEndsAt) {
      // The handler decides: end the session, or expect() again (the client was waiting for us).
      const phase = this.#phase;
      this.#phaseEndsAt = Number.POSITIVE_INFINITY;
      this.#schedule();
      this.#onExpire({ phase, limitMs: this.#phaseLimit(phase) });
    } else {
      this.#schedule();
    }
  }
}
