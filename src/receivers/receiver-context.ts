import { PeerEventBudget, SessionEventBudget } from '../recorder/event-budget.js';
import type { EventLog } from '../recorder/event-log.js';
import type { TlsVersion } from '../recorder/events.js';
import type { ReceiverLimits } from './limits.js';
import type { MessageStore } from './message-store.js';
import { isLoopback, PeerLimiter, peerKey, RecentPeers } from './peer-limits.js';
import type { Profile } from '../profiles/profile-schema.js';

/** How long a peer whose session was shed may only take the place of its own sessions. */
export const SHED_MEMORY_MS = 60_000;

export interface NegotiatedTls {
  version: TlsVersion | 'unknown';
  cipher: string;
  sni: string | null;
}

/** What one receiver knows about itself and where it records; shared by all its connections. */
export class ReceiverContext {
  readonly profile: Profile;
  readonly hostname: string;
  readonly domain: string;
  /** The probes' own domain (mailbox.ts): accepted by every receiver, and read as bounces. Null: none. */
  readonly mailboxDomain: string | null;
  readonly limits: ReceiverLimits;
  readonly log: EventLog;
  readonly messages: MessageStore;
  readonly software: string;
  /** Per-peer admission (limits.maxConnectionsPerPeer, maxNewConnectionsPerPeerPerMinute). */
  readonly peers: PeerLimiter;
  /** Peers whose sessions were shed in the last minute: they may only take the place of their own (receiver.ts). */
  readonly shedPeers = new RecentPeers(SHED_MEMORY_MS);
  /** Per-peer event budget (limits.maxRoutineEventsPerPeerPerHour), shared by the receivers of a fleet, who share a log. */
  readonly eventBudget: PeerEventBudget;
  /** TLS facts of each live session that negotiated TLS, by session id, for the Received header. */
  readonly #tls = new Map<string, NegotiatedTls>();
  /** Open connections, by session id, with the peer address they were admitted for (null: counted against no peer). */
  readonly #open = new Map<string, string | null>();
  #idleWaiters: (() => void)[] = [];
  #messageCounter = 0;

  constructor(init: {
    profile: Profile;
    hostname: string;
    domain: string;
    mailboxDomain?: string | null;
    limits: ReceiverLimits;
    log: EventLog;
    messages: MessageStore;
    software: string;
    eventBudget?: PeerEventBudget;
  }) {
    this.profile = init.profile;
    this.hostname = init.hostname;
    this.domain = init.domain;
    this.mailboxDomain = init.mailboxDomain ?? null;
    this.limits = init.limits;
    this.log = init.log;
    this.messages = init.messages;
    this.software = init.software;
    this.peers = new PeerLimiter(init.limits);
    this.eventBudget = init.eventBudget ?? new PeerEventBudget(init.limits.maxRoutineEventsPerPeerPerHour);
  }

  /** The event budget of a new session from this peer address (loopback exempt from the per-peer part, as from the per-peer limits). */
  sessionBudget(peer: string): SessionEventBudget {
    const exempt = this.limits.exemptLoopbackPeers && isLoopback(peer);
    return new SessionEventBudget(this.limits.maxRoutineEventsPerSession, exempt ? null : { budget: this.eventBudget, key: peerKey(peer) });
  }

  rememberTls(sessionId: string, tls: NegotiatedTls): void {
    this.#tls.set(sessionId, tls);
  }

  tlsOf(sessionId: string): NegotiatedTls | null {
    return this.#tls.get(sessionId) ?? null;
  }

  connectionOpened(sessionId: string, admittedPeer: string | null = null): void {
    this.#open.set(sessionId, admittedPeer);
  }

  connectionClosed(sessionId: string): void {
    const peer = this.#open.get(sessionId);
    if (peer) this.peers.release(peer);
    this.#open.delete(sessionId);
    this.#tls.delete(sessionId);
    if (this.#open.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once every connection has been recorded as closed, or after timeoutMs. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A queue id for an accepted message: unique within the receiver, sortable by time. */
  nextMessageId(sessionId: string): string {
    this.#messageCounter += 1;
    return `${Date.now().toString(36).toUpperCase()}.${sessionId}.${this.#messageCounter}`;
  }
}
