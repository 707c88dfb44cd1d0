import type { ReceiverEvent } from '../recorder/events.js';
import { connectionHello } from './client-hellos.js';
import type { ConnectionSummary } from './outcome.js';

/** Fold each connection's events into one summary, in the order the connections started. */
export function summarizeConnections(events: ReceiverEvent[]): ConnectionSummary[] {
  const byConn = new Map<string, ConnectionSummary>();
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    if (!event.conn) continue;
    let summary = byConn.get(event.conn);
    if (!summary) {
      summary = {
        conn: event.conn,
        peer: '',
        start: event.time,
        end: null,
        helo: null,
        starttls: null,
        tls: null,
        tlsFailure: null,
        mailFrom: null,
        rcptTo: [],
        data: null,
        commands: [],
      };
      byConn.set(event.conn, summary);
    }
    switch (event.type) {
      case 'connect':
        summary.peer = `${event.peer.address}:${event.peer.port}`;
        summary.start = event.time;
        break;
      case 'command':
        if (summary.commands.length < 50) summary.commands.push(event.verb);
        break;
      case 'helo':
        summary.helo = event.name;
        break;
      case 'starttls':
        summary.starttls = event.reply;
        break;
      case 'tls':
        summary.tls = { version: event.version, cipher: event.cipher, sni: event.sni };
        break;
      case 'tls-failed':
        summary.tlsFailure = { origin: event.origin, alert: event.alert, reason: event.reason };
        break;
      case 'mail-from':
        summary.mailFrom = event.address;
        break;
      case 'rcpt-to':
        if (event.accepted) summary.rcptTo.push(event.address);
        break;
      case 'data':
        summary.data = { accepted: event.accepted, reply: event.reply, messageId: event.messageId };
        break;
      case 'client-hello':
        summary.clientHello = connectionHello(event);
        break;
      case 'injection-check':
        summary.injection = { withheld: event.withheld, lines: event.lines };
        break;
      case 'close':
        summary.end = event.time;
        break;
      default:
        break;
    }
  }
  return [...byConn.values()].sort((a, b) => a.start.localeCompare(b.start));
}
