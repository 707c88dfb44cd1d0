import type { ReceiverLimits } from './limits.js';

const MINUTE_MS = 60_000;
/** Forget peers with nothing open and no recent connection once this many are known: a scan must not grow memory. */
const SWEEP_AT = 1_024;

export type PeerLimits = Pick<ReceiverLimits, 'maxConnectionsPerPeer' | 'maxNewConnectionsPerPeerPerMinute'> & Partial<Pick<ReceiverLimits, 'exemptLoopbackPeers'>>;

export type PeerRefusal = { limit: 'concurrent'; max: number } | { limit: 'per-minute'; max: number };

interface PeerState {
  open: number;
  /** Times of admitted connections within the last minute, oldest first (at most the per-minute limit). */
  recent: number[];
}

/**
 * Per-peer admission for one receiver: at most `maxConnectionsPerPeer` open at once and
 * `maxNewConnectionsPerPeerPerMinute` admitted in any sliding minute, per peer address.
 * Only admitted connections count toward the rate, so a peer that backs off for a minute
 * gets in again however hard it knocked meanwhile.
 */
export class PeerLimiter {
  readonly #limits: PeerLimits;
  readonly #now: () => number;
  readonly #peers = new Map<string, PeerState>();

  constructor(limits: PeerLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Admit a new connection from `address` (and count it), or say which limit it is over. */
  admit(address: string): PeerRefusal | null {
    if (this.#limits.exemptLoopbackPeers && isLoopback(address)) return null;
    const now = this.#now();
    if (this.#peers.size >= SWEEP_AT) this.#sweep(now);
    const state = this.#peers.get(address) ?? { open: 0, recent: [] };
    while (state.recent.length > 0 && now - (state.recent[0] as number) >= MINUTE_MS) state.recent.shift();
    if (state.open >= this.#limits.maxConnectionsPerPeer) return { limit: 'concurrent', max: this.#limits.maxConnectionsPerPeer };
    if (state.recent.length >= this.#limits.maxNewConnectionsPerPeerPerMinute) {
      return { limit: 'per-minute', max: this.#limits.maxNewConnectionsPerPeerPerMinute };
    }
    state.open += 1;
    state.recent.push(now);
    this.#peers.set(address, state);
    return null;
  }

  /** An admitted connection from `address` ended. */
  release(address: string): void {
    const state = this.#peers.get(address);
    if (state && state.open > 0) state.open -= 1;
  }

  #sweep(now: number): void {
    for (const [address, state] of this.#peers) {
      if (state.open === 0 && state.recent.every((t) => now - t >= MINUTE_MS)) this.#peers.delete(address);
    }
  }
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}
