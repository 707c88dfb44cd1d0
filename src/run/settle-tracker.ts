import type { Probe } from '../probes/probe.js';
import { isDeliveryOf } from '../classify/classify-probe.js';
import type { ReceiverEvent } from '../recorder/events.js';

/**
 * Knows, from the live event stream, when a sender's probes are settled: a probe is
 * settled once it was delivered or its sender said no more attempts will come, and no
 * connection to its profile is still open (so the receiver's record of it is complete).
 */
export class SettleTracker {
  readonly #probes: Map<string, Probe>;
  readonly #delivered = new Set<string>();
  readonly #final = new Set<string>();
  readonly #open = new Map<string, string>(); // conn -> profile
  /** Open connections per profile: isSettled is asked for every probe on every event, so it must not walk them. */
  readonly #openPerProfile = new Map<string, number>();
  readonly #notAwaited = new Set<string>();
  /** When a probe is done by its sender's stated retry model (epoch ms). */
  readonly #due = new Map<string, number>();
  #wake: (() => void) | null = null;
  #wakeScheduled = false;

  constructor(probes: Probe[]) {
    this.#probes = new Map(probes.map((p) => [p.id, p]));
  }

  observe(event: ReceiverEvent): void {
    if (event.type === 'connect' && !this.#open.has(event.conn)) {
      this.#open.set(event.conn, event.profile);
      this.#openPerProfile.set(event.profile, (this.#openPerProfile.get(event.profile) ?? 0) + 1);
    }
    if (event.type === 'close') {
      const profile = this.#open.get(event.conn);
      if (profile !== undefined) {
        this.#open.delete(event.conn);
        const left = (this.#openPerProfile.get(profile) ?? 1) - 1;
        if (left > 0) this.#openPerProfile.set(profile, left);
        else this.#openPerProfile.delete(profile);
      }
    }
    if (event.type === 'data' && event.accepted) {
      for (const probe of this.#probes.values()) if (isDeliveryOf(event, probe)) this.#delivered.add(probe.id);
    }
    this.#notify();
  }

  /** After a resume: connections recorded as open were cut off by the crash; none is open now. */
  forgetOpenConnections(): void {
    this.#open.clear();
    this.#openPerProfile.clear();
    this.#notify();
  }

  /** The sender will have nothing more to say about the probe at `time` (its stated retries over). */
  settleAt(probeId: string, time: number): void {
    this.#due.set(probeId, time);
    this.#notify();
  }

  markFinal(probeId: string): void {
    this.#final.add(probeId);
    this.#notify();
  }

  /** Stop waiting for these probes (their sender stopped: its controls were never delivered); they stay unsettled. */
  stopAwaiting(probeIds: readonly string[]): void {
    for (const id of probeIds) this.#notAwaited.add(id);
    this.#notify();
  }

  /** Whether the probe's message was accepted by a receiver. */
  isDelivered(probeId: string): boolean {
    return this.#delivered.has(probeId);
  }

  isSettled(probeId: string): boolean {
    const probe = this.#probes.get(probeId);
    if (!probe) return true;
    const due = this.#due.get(probeId);
    if (!this.#delivered.has(probeId) && !this.#final.has(probeId) && !(due !== undefined && Date.now() >= due)) return false;
    return !this.#openPerProfile.has(probe.profile);
  }

  get settledCount(): number {
    return [...this.#probes.keys()].filter((id) => this.isSettled(id)).length;
  }

  get allSettled(): boolean {
    return this.settledCount === this.#probes.size;
  }

  /** Resolves when every probe waited for is settled, at the deadline, or when aborted, whichever comes first; true if they all settled. */
  async untilSettled(deadline: number, signal?: AbortSignal): Promise<boolean> {
    const onAbort = (): void => this.#notify();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#wait(deadline, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Every probe still waited for is settled. */
  get #awaitedSettled(): boolean {
    return [...this.#probes.keys()].every((id) => this.#notAwaited.has(id) || this.isSettled(id));
  }

  async #wait(deadline: number, signal?: AbortSignal): Promise<boolean> {
    while (!this.#awaitedSettled) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return false;
      // Wake at the deadline, or when a stated retry model next runs out, whichever is first.
      const dues = [...this.#due.values()].filter((due) => due > Date.now());
      const wait = Math.min(left, ...dues.map((due) => due - Date.now() + 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }

  /**
   * Wake the waiting loop once for everything that happened in this turn of the event loop: a
   * busy fleet records thousands of events a second, and each look at every probe is not free.
   */
  #notify(): void {
    if (this.#wakeScheduled || !this.#wake) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    });
  }
}
