import type { EventLog } from '../recorder/event-log.js';
import type { TlsVersion } from '../recorder/events.js';
import type { ReceiverLimits } from './limits.js';
import type { MessageStore } from './message-store.js';
import type { Profile } from './profile-schema.js';

export interface NegotiatedTls {
  version: TlsVersion;
  cipher: string;
  sni: string | null;
}

/** What one receiver knows about itself and where it records; shared by all its connections. */
export class ReceiverContext {
  readonly profile: Profile;
  readonly hostname: string;
  readonly domain: string;
  readonly limits: ReceiverLimits;
  readonly log: EventLog;
  readonly messages: MessageStore;
  readonly software: string;
  /** TLS facts of each live session that negotiated TLS, by session id, for the Received header. */
  readonly #tls = new Map<string, NegotiatedTls>();
  #messageCounter = 0;

  constructor(init: {
    profile: Profile;
    hostname: string;
    domain: string;
    limits: ReceiverLimits;
    log: EventLog;
    messages: MessageStore;
    software: string;
  }) {
    this.profile = init.profile;
    this.hostname = init.hostname;
    this.domain = init.domain;
    this.limits = init.limits;
    this.log = init.log;
    this.messages = init.messages;
    this.software = init.software;
  }

  rememberTls(sessionId: string, tls: NegotiatedTls): void {
    this.#tls.set(sessionId, tls);
  }

  tlsOf(sessionId: string): NegotiatedTls | null {
    return this.#tls.get(sessionId) ?? null;
  }

  forgetSession(sessionId: string): void {
    this.#tls.delete(sessionId);
  }

  /** A queue id for an accepted message: unique within the receiver, sortable by time. */
  nextMessageId(sessionId: string): string {
    this.#messageCounter += 1;
    return `${Date.now().toString(36).toUpperCase()}.${sessionId}.${this.#messageCounter}`;
  }
}
