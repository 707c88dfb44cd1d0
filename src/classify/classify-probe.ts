import type { DataEvent, ReceiverEvent } from '../recorder/events.js';
import type { Classification, ConnectionSummary, Outcome } from './outcome.js';
import { summarizeConnections } from './summarize-connections.js';

/** What identifies a probe's delivery at the receiver. */
export interface ProbeKey {
  recipient: string;
  messageId: string;
}

/**
 * Classify one probe from every event its profile's receiver recorded for it, across
 * all connections and retries (the caller has picked the probe's connections).
 *
 * Delivered: the probe's message was accepted. Over TLS if that session had TLS up;
 * otherwise a downgrade if STARTTLS was tried in that or an earlier session and failed,
 * was refused, or was abandoned; plain plaintext delivery only when TLS was never tried.
 * Not delivered: the furthest the sender got decides: TLS up then left, handshake
 * failed, connected but never started TLS, or never connected.
 */
export function classifyProbe(events: ReceiverEvent[], key: ProbeKey): Classification {
  const evidence = summarizeConnections(events);
  const delivery = events.find((e): e is DataEvent => isDeliveryOf(e, key));
  const times = events.map((e) => e.time).sort();
  const base = {
    connections: evidence.length,
    firstSeen: times[0] ?? null,
    lastSeen: times[times.length - 1] ?? null,
    evidence,
  };

  if (delivery) {
    const index = evidence.findIndex((c) => c.conn === delivery.conn);
    const session = evidence[index];
    if (session?.tls) {
      return { ...base, outcome: 'delivered-tls', tls: { version: session.tls.version, cipher: session.tls.cipher }, alert: null, received: delivery.received, message: delivery.file };
    }
    // A downgrade: TLS was asked for on an earlier connection (whatever became of it), or on this one and refused.
    const tried = evidence.slice(0, index).find((c) => c.starttls !== null || c.tlsFailure !== null) ?? (session && triedTls(session) ? session : undefined);
    return {
      ...base,
      outcome: tried ? 'plaintext-after-tls-failure' : 'delivered-plaintext',
      tls: null,
      alert: tried?.tlsFailure?.alert ?? null,
      received: delivery.received,
      message: delivery.file,
    };
  }

  let outcome: Outcome = 'not-attempted';
  let tls: Classification['tls'] = null;
  let alert: string | null = null;
  const up = [...evidence].reverse().find((c) => c.tls);
  const failed = [...evidence].reverse().find((c) => c.tlsFailure);
  if (up?.tls) {
    outcome = 'refused-after-handshake';
    tls = { version: up.tls.version, cipher: up.tls.cipher };
  } else if (failed?.tlsFailure) {
    outcome = 'refused-at-handshake';
    alert = failed.tlsFailure.alert;
  } else if (evidence.length > 0) {
    outcome = 'refused-before-tls';
  }
  return { ...base, outcome, tls, alert, received: null, message: null };
}

/** Whether an event is the probe's delivery: a message accepted that carries its Message-ID or is addressed to its recipient. */
export function isDeliveryOf(event: ReceiverEvent, key: ProbeKey): event is DataEvent {
  return (
    event.type === 'data' &&
    event.accepted &&
    (event.messageId === key.messageId || event.rcptTo.some((r) => r.toLowerCase() === key.recipient.toLowerCase()))
  );
}

/** On the plaintext delivery session itself: STARTTLS was asked for and refused or failed. */
function triedTls(connection: ConnectionSummary): boolean {
  return connection.tlsFailure !== null || connection.starttls !== null;
}
