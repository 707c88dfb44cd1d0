import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyProbe, type ProbeKey } from '../../src/classify/classify-probe.js';
import type { ReceiverEvent } from '../../src/recorder/events.js';

/** Event logs recorded by the receivers (real Postfix and the built-in senders), one probe each. */
function recorded(name: string): { key: ProbeKey; events: ReceiverEvent[] } {
  const [head, ...lines] = readFileSync(join(import.meta.dirname, 'fixtures', `${name}.jsonl`), 'utf8').trim().split('\n');
  const { probe } = JSON.parse(head ?? '{}') as { probe: ProbeKey };
  return { key: probe, events: lines.map((line) => JSON.parse(line) as ReceiverEvent) };
}

describe('classification of recorded event logs', () => {
  it('Postfix (may) vs handshake-failure: two aborted handshakes, then plaintext on a third connection = downgrade', () => {
    const { key, events } = recorded('postfix-may-handshake-failure');
    const result = classifyProbe(events, key);
    expect(result.outcome).toBe('plaintext-after-tls-failure');
    expect(result.connections).toBe(3);
    expect(result.alert).toBe('handshake_failure');
    expect(result.evidence.map((c) => c.tlsFailure?.origin ?? null)).toEqual(['profile', 'profile', null]);
    expect(result.received).toMatch(/ with ESMTP id /);
  });

  it('Postfix (may) vs starttls-454: STARTTLS refused, message sent in the same session = downgrade', () => {
    const { key, events } = recorded('postfix-may-starttls-454');
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'plaintext-after-tls-failure', connections: 1, tls: null });
  });

  it('Postfix (may) vs no-starttls: plaintext, TLS never tried', () => {
    const { key, events } = recorded('postfix-may-no-starttls');
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'delivered-plaintext', connections: 1 });
  });

  it('Postfix (may) vs tls1.0: delivered over TLS 1.0 with the cipher recorded', () => {
    const { key, events } = recorded('postfix-may-tls1.0');
    const result = classifyProbe(events, key);
    expect(result).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.0' } });
    expect(result.tls?.cipher).toMatch(/SHA$/);
    expect(result.firstSeen! <= result.lastSeen!).toBe(true);
  });

  it('built-in strict vs expired, tls1.0 and starttls-454: refused at the handshake or before TLS', () => {
    const expired = recorded('builtin-strict-expired');
    expect(classifyProbe(expired.events, expired.key)).toMatchObject({ outcome: 'refused-at-handshake', connections: 1 });
    const tls10 = recorded('builtin-strict-tls1.0');
    expect(classifyProbe(tls10.events, tls10.key)).toMatchObject({ outcome: 'refused-at-handshake', alert: 'protocol_version' });
    const refused = recorded('builtin-strict-starttls-454');
    expect(classifyProbe(refused.events, refused.key)).toMatchObject({ outcome: 'refused-before-tls', received: null });
  });
});

describe('classification edge cases', () => {
  const key: ProbeKey = { recipient: 'probe-r-1@tls1.2.badmx.test', messageId: '<probe-r-1@probes.badmx.test>' };
  let seq = 0;
  const at = (s: number): string => new Date(Date.UTC(2026, 10, 23, 3, 0, s)).toISOString();
  const ev = (conn: string, s: number, rest: Record<string, unknown>): ReceiverEvent =>
    ({ seq: ++seq, time: at(s), profile: 'tls1.2', conn, ...rest }) as ReceiverEvent;
  const connect = (conn: string, s: number) => ev(conn, s, { type: 'connect', peer: { address: '127.0.0.1', port: 1000 + s }, local: { address: '127.0.2.6', port: 25 } });
  const tls = (conn: string, s: number) => ev(conn, s, { type: 'tls', version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', standardCipher: null, sni: null });
  const data = (conn: string, s: number, rcpt = key.recipient, messageId: string | null = key.messageId) =>
    ev(conn, s, { type: 'data', accepted: true, reply: 250, messageId, mailFrom: 'x@y', rcptTo: [rcpt], size: 10, headers: '', received: 'Received: x', file: null, tls: false });

  it('never connected: not-attempted', () => {
    expect(classifyProbe([], key)).toMatchObject({ outcome: 'not-attempted', connections: 0, firstSeen: null });
  });

  it('TLS up, then left without sending: refused-after-handshake, with the version it saw', () => {
    const events = [connect('a', 1), ev('a', 2, { type: 'starttls', reply: 220 }), tls('a', 3), ev('a', 4, { type: 'close' })];
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'refused-after-handshake', tls: { version: 'TLSv1.3' } });
  });

  it('TLS up and left, then a plaintext delivery on a new connection: a downgrade', () => {
    const events = [
      connect('a', 1),
      ev('a', 2, { type: 'starttls', reply: 220 }),
      tls('a', 3),
      ev('a', 4, { type: 'close' }),
      connect('b', 10),
      data('b', 11),
      ev('b', 12, { type: 'close' }),
    ];
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'plaintext-after-tls-failure', connections: 2, lastSeen: at(12) });
  });

  it('several retries refused at the handshake and never delivered: the last failure names the alert', () => {
    const fail = (conn: string, s: number, alert: string) => [
      connect(conn, s),
      ev(conn, s, { type: 'starttls', reply: 220 }),
      ev(conn, s, { type: 'tls-failed', origin: 'client', alert, reason: 'r', code: null }),
    ];
    const events = [...fail('a', 1, 'bad_certificate'), ...fail('b', 60, 'unknown_ca')];
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'refused-at-handshake', alert: 'unknown_ca', connections: 2 });
  });

  it('a delivery is recognised by Message-ID even if a relay rewrote the recipient, and TLS on that session counts', () => {
    const events = [connect('a', 1), ev('a', 2, { type: 'starttls', reply: 220 }), tls('a', 3), data('a', 4, 'someone-else@tls1.2.badmx.test')];
    expect(classifyProbe(events, key)).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.3' } });
  });

  it('a refused message is not a delivery', () => {
    const refused = { ...data('a', 4), accepted: false, reply: 552 } as ReceiverEvent;
    expect(classifyProbe([connect('a', 1), refused], key).outcome).toBe('refused-before-tls');
  });
});
