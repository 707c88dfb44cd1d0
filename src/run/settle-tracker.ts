import type { Probe } from '../probes/probe.js';
import { isDeliveryOf } from '../classify/classify-probe.js';
import type { ReceiverEvent } from '../recorder/events.js';

/**
 * Knows, from the live event stream, when a sender's probes are settled: a probe is
 * settled once it was delivered or its sender said no more attempts will come, and no
 * connection that could be its own is still open at its profile (so the receiver's record of
 * it is complete). With senders side by side a profile is rarely without a connection: one
 * that has named another probe (in MAIL FROM or RCPT TO) is that probe's, not a reason to
 * keep waiting for this one.
 */
export class SettleTracker {
  readonly #probes: Map<string, Probe>;
  readonly #delivered = new Set<string>();
  readonly #final = new Set<string>();
  readonly #open = new Map<string, string>(); // conn -> profile
  /** Open connections per profile: isSettled is asked for every probe on every event, so it must not walk them all. */
  readonly #openPerProfile = new Map<string, Set<string>>();
  /** The probe an open connection named, once it named one. */
  readonly #owner = new Map<string, string>();
  /** Probes by the addresses that name them (envelope sender, recipient), lower case. */
  readonly #byAddress: Map<string, string>;
  readonly #notAwaited = new Set<string>();
  /** When a probe is done by its sender's stated retry model (epoch ms). */
  readonly #due = new Map<string, number>();
  #wake: (() => void) | null = null;
  #wakeScheduled = false;

  constructor(probes: Probe[]) {
    this.#probes = new Map(probes.map((p) => [p.id, p]));
    this.#byAddress = new Map(probes.flatMap((p) => [[p.from.toLowerCase(), p.id] as const, [p.recipient.toLowerCase(), p.id] as const]));
  }

  observe(event: ReceiverEvent): void {
    if (event.type === 'connect' && !this.#open.has(event.conn)) {
      this.#open.set(event.conn, event.profile);
      const open = this.#openPerProfile.get(event.profile) ?? new Set<string>();
      this.#openPerProfile.set(event.profile, open.add(event.conn));
    }
    if ((event.type === 'mail-from' || event.type === 'rcpt-to') && this.#open.has(event.conn) && !this.#owner.has(event.conn)) {
      const owner = this.#byAddress.get(event.address.toLowerCase());
      if (owner !== undefined) this.#owner.set(event.conn, owner);
    }
    if (event.type === 'close') {
      const profile = this.#open.get(event.conn);
      if (profile !== undefined) {
        this.#open.delete(event.conn);
        this.#owner.delete(event.conn);
        const open = this.#openPerProfile.get(profile);
        open?.delete(event.conn);
        if (open?.size === 0) this.#openPerProfile.delete(profile);
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
    this.#owner.clear();
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
    for (const conn of this.#openPerProfile.get(probe.profile) ?? []) {
      const owner = this.#owner.get(conn);
      if (owner === undefined || owner === probeId) return false;
    }
    return true;
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
