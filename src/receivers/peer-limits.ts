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
  /** Swept again only when the map has doubled since: a scan of many addresses costs O(1) per connection, amortized. */
  #sweepAt = SWEEP_AT;
  readonly #refusals = new Map<string, { at: number; suppressed: number }>();

  constructor(limits: PeerLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Admit a new connection from `address` (and count it), or say which limit it is over. */
  admit(address: string): PeerRefusal | null {
    if (this.#limits.exemptLoopbackPeers && isLoopback(address)) return null;
    const now = this.#now();
    if (this.#peers.size >= this.#sweepAt) {
      this.#sweep(now);
      this.#sweepAt = Math.max(SWEEP_AT, this.#peers.size * 2);
    }
    const key = peerKey(address);
    const state = this.#peers.get(key) ?? { open: 0, recent: [] };
    while (state.recent.length > 0 && now - (state.recent[0] as number) >= MINUTE_MS) state.recent.shift();
    if (state.open >= this.#limits.maxConnectionsPerPeer) return { limit: 'concurrent', max: this.#limits.maxConnectionsPerPeer };
    if (state.recent.length >= this.#limits.maxNewConnectionsPerPeerPerMinute) {
      return { limit: 'per-minute', max: this.#limits.maxNewConnectionsPerPeerPerMinute };
    }
    state.open += 1;
    state.recent.push(now);
    this.#peers.set(key, state);
    return null;
  }

  /**
   * Whether to record this refusal: the first per peer in any minute is, the rest are only
   * counted (and the count goes with the next one recorded). A peer hammering the port must
   * not be able to fill the disk with refusal records.
   */
  recordRefusal(address: string): { record: boolean; suppressed: number } {
    const key = peerKey(address);
    const now = this.#now();
    const entry = this.#refusals.get(key);
    if (entry && now - entry.at < MINUTE_MS) {
      entry.suppressed += 1;
      return { record: false, suppressed: entry.suppressed };
    }
    if (this.#refusals.size >= this.#sweepAt) {
      for (const [k, e] of this.#refusals) if (now - e.at >= MINUTE_MS) this.#refusals.delete(k);
    }
    this.#refusals.set(key, { at: now, suppressed: 0 });
    return { record: true, suppressed: entry?.suppressed ?? 0 };
  }

  /** An admitted connection from `address` ended. */
  release(address: string): void {
    const state = this.#peers.get(peerKey(address));
    if (state && state.open > 0) state.open -= 1;
  }

  #sweep(now: number): void {
    for (const [address, state] of this.#peers) {
      if (state.open === 0 && state.recent.every((t) => now - t >= MINUTE_MS)) this.#peers.delete(address);
    }
  }
}

/**
 * What the limits count: an IPv4 address, or an IPv6 /64 (one host usually holds a whole
 * /64, so counting single IPv6 addresses would limit nothing; RFC 6177 §2).
 */
export function peerKey(address: string): string {
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, a dual-stack listener) is that IPv4 peer, not the /64 all of them share.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(?:::ffff:)?127\./i.test(address);
}

/**
 * Peer keys seen recently (within `windowMs`), e.g. the peers whose sessions were shed to
 * make room: a peer whose session was just shed may take the place of its own sessions
 * only, so a client that reconnects as soon as it is shed cannot shed everyone else in
 * turn, however fast it comes back. Swept as it grows, like the limiter.
 */
export class RecentPeers {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, number>();
  #sweepAt = SWEEP_AT;

  constructor(windowMs: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  mark(address: string): void {
    const now = this.#now();
    if (this.#seen.size >= this.#sweepAt) {
      for (const [key, at] of this.#seen) if (now - at >= this.#windowMs) this.#seen.delete(key);
      this.#sweepAt = Math.max(SWEEP_AT, this.#seen.size * 2);
    }
    this.#seen.set(peerKey(address), now);
  }

  has(address: string): boolean {
    const at = this.#seen.get(peerKey(address));
    return at !== undefined && this.#now() - at < this.#windowMs;
  }
}
