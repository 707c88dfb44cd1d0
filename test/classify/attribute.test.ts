import { describe, expect, it } from 'vitest';
import { attributeConnections } from '../../src/classify/attribute.js';
import { makeProbe } from '../../src/probes/probe.js';
import type { ReceiverEvent } from '../../src/recorder/events.js';

const a = makeProbe('r', 1, 'sender-a', 'expired', 'badmx.test');
const b = makeProbe('r', 2, 'sender-b', 'expired', 'badmx.test');
const windows = [
  { sender: 'sender-a', start: '2026-11-23T03:00:00.000Z', end: '2026-11-23T03:01:00.000Z' },
  { sender: 'sender-b', start: '2026-11-23T03:01:00.001Z', end: '2026-11-23T03:02:00.000Z' },
];
let seq = 0;
function conn(id: string, time: string, helo: string, extra: Record<string, unknown>[] = [], peer = '127.0.0.1'): ReceiverEvent[] {
  const base = { profile: 'expired', conn: id, time };
  return [
    { ...base, seq: ++seq, type: 'connect', peer: { address: peer, port: 1 }, local: { address: '127.0.2.9', port: 25 } },
    { ...base, seq: ++seq, type: 'helo', verb: 'EHLO', name: helo },
    ...extra.map((e) => ({ ...base, seq: ++seq, ...e })),
  ] as ReceiverEvent[];
}

describe('attributing connections to probes', () => {
  it('by content first: recipient, envelope sender or Message-ID name the probe, whatever the time', () => {
    const events = [
      ...conn('c1', '2026-11-23T03:01:30.000Z', 'relay-a', [{ type: 'rcpt-to', address: a.recipient, accepted: true, reply: 250 }]),
      ...conn('c2', '2026-11-23T03:00:10.000Z', 'relay-b', [{ type: 'mail-from', address: b.from, params: {} }]),
    ];
    const result = attributeConnections(events, [a, b], windows);
    expect(result.byProbe.get(a.id)?.map((e) => e.conn)).toContain('c1');
    expect(result.byProbe.get(b.id)?.map((e) => e.conn)).toContain('c2');
  });

  it('by time window otherwise, unless the EHLO name belongs to the other sender (a late retry)', () => {
    const events = [
      ...conn('known-a', '2026-11-23T03:00:05.000Z', 'relay-a', [{ type: 'rcpt-to', address: a.recipient, accepted: true, reply: 250 }]),
      ...conn('handshake-only', '2026-11-23T03:00:20.000Z', 'relay-a'),
      ...conn('late-retry-of-a', '2026-11-23T03:01:40.000Z', 'relay-a'),
      ...conn('b-attempt', '2026-11-23T03:01:45.000Z', 'relay-b'),
    ];
    const result = attributeConnections(events, [a, b], windows);
    const conns = (id: string) => [...new Set(result.byProbe.get(id)?.map((e) => e.conn))];
    expect(conns(a.id)).toEqual(['known-a', 'handshake-only', 'late-retry-of-a']);
    expect(conns(b.id)).toEqual(['b-attempt']);
  });

  it('once a sender showed itself by content, a nameless connection in its window must come from its address or EHLO family', () => {
    const rcpt = [{ type: 'rcpt-to', address: a.recipient, accepted: true, reply: 250 }];
    const events = [
      ...conn('a-delivery', '2026-11-23T03:00:05.000Z', 'a-12.smtp-out.vendor.example', rcpt, '198.51.100.12'),
      // another host of the same provider pool: the same parent domain
      ...conn('a-pool', '2026-11-23T03:00:20.000Z', 'a-13.smtp-out.vendor.example', [], '198.51.100.13'),
      // a scanner that did a TLS handshake and left, in a's window
      ...conn('scanner', '2026-11-23T03:00:30.000Z', 'scan.research.example', [], '203.0.113.9'),
    ];
    const result = attributeConnections(events, [a, b], windows);
    expect([...new Set(result.byProbe.get(a.id)?.map((e) => e.conn))]).toEqual(['a-delivery', 'a-pool']);
    expect(result.stray).toEqual(['scanner']);
  });

  it('connections outside every window that name no probe are stray (scanners, strangers)', () => {
    const events = conn('scanner', '2026-11-23T04:00:00.000Z', 'scanner.example');
    expect(attributeConnections(events, [a, b], windows).stray).toEqual(['scanner']);
  });

  it('a connection in a sender\'s window whose RCPT names no probe is stray, never that sender\'s evidence (a scanner)', () => {
    const events = [
      // refused 550: not this receiver's domain
      ...conn('spam', '2026-11-23T03:00:10.000Z', 'bot.example', [
        { type: 'mail-from', address: 'x@bot.example', params: {} },
        { type: 'rcpt-to', address: 'victim@elsewhere.example', accepted: false, reply: 550 },
      ]),
      // accepted (the receiver's own domain) but not a probe's recipient: a dictionary attack, delivered or not
      ...conn('guess', '2026-11-23T03:00:20.000Z', 'bot.example', [
        { type: 'rcpt-to', address: 'admin@expired.badmx.test', accepted: true, reply: 250 },
        { type: 'data', accepted: true, reply: 250, messageId: '<spam@bot.example>', mailFrom: 'x@bot.example', rcptTo: ['admin@expired.badmx.test'] },
      ]),
      // turned away at the per-peer limit: the harness's doing
      ...conn('limited', '2026-11-23T03:00:30.000Z', 'relay-a', [{ type: 'peer-limit', address: '127.0.0.1', limit: 'concurrent', max: 5 }]),
      // the sender's own refused handshake, in its window: still its evidence
      ...conn('handshake', '2026-11-23T03:00:40.000Z', 'relay-a', [{ type: 'tls-failed', origin: 'client', alert: 'unknown_ca', reason: 'x', code: null }]),
    ];
    const result = attributeConnections(events, [a, b], windows);
    expect(result.stray.sort()).toEqual(['guess', 'limited', 'spam']);
    expect([...new Set(result.byProbe.get(a.id)?.map((e) => e.conn))]).toEqual(['handshake']);
  });
});

describe('attributeConnections on a shared address', () => {
  it('a late retry that names its probe but reached another profile is kept apart, never classified', () => {
    const attribute = attributeConnections;
    const early = makeProbe('r', 1, 'vendor', 'no-starttls', 'badmx.test');
    const live = makeProbe('r', 2, 'vendor', 'tls1.2', 'badmx.test');
    const t = (s: number): string => new Date(Date.UTC(2026, 10, 24, 10, 0, s)).toISOString();
    const events = [
      // during tls1.2's step, at tls1.2's receiver: a retry of the no-starttls probe
      { seq: 1, time: t(11), profile: 'tls1.2', conn: 'c1', type: 'connect', peer: { address: '192.0.2.9', port: 1 } },
      { seq: 2, time: t(11), profile: 'tls1.2', conn: 'c1', type: 'rcpt-to', address: early.recipient, accepted: false },
      { seq: 3, time: t(11), profile: 'tls1.2', conn: 'c1', type: 'close' },
      // and the live probe's own connection
      { seq: 4, time: t(12), profile: 'tls1.2', conn: 'c2', type: 'connect', peer: { address: '192.0.2.9', port: 2 } },
      { seq: 5, time: t(12), profile: 'tls1.2', conn: 'c2', type: 'rcpt-to', address: live.recipient, accepted: true },
    ] as unknown as ReceiverEvent[];
    const windows = [
      { sender: 'vendor', profiles: ['no-starttls'], start: t(0), end: t(9) },
      { sender: 'vendor', profiles: ['tls1.2'], start: t(10), end: t(20) },
    ];
    const result = attribute(events, [early, live], windows);
    expect(result.misdirected.get(early.id)).toEqual(['c1']);
    expect(result.byProbe.get(early.id)).toEqual([]);
    expect(result.byProbe.get(live.id)?.map((e) => e.conn)).toEqual(['c2', 'c2']);
    expect(result.stray).toEqual([]);
  });
});

describe('attributeConnections with senders side by side (overlapping windows)', () => {
  const together = [
    { sender: 'sender-a', start: '2026-11-23T03:00:00.000Z', end: '2026-11-23T03:02:00.000Z' },
    { sender: 'sender-b', start: '2026-11-23T03:00:00.000Z', end: '2026-11-23T03:02:00.000Z' },
  ];
  const named = (p: typeof a) => [{ type: 'rcpt-to', address: p.recipient, accepted: true, reply: 250 }];
  const conns = (result: ReturnType<typeof attributeConnections>, id: string) => [...new Set(result.byProbe.get(id)?.map((e) => e.conn))];

  it('a nameless connection is the one sender\'s whose identified connections it matches: EHLO name first, then address', () => {
    const events = [
      ...conn('a-control', '2026-11-23T03:00:01.000Z', 'relay-a.example', named(a), '127.0.0.1'),
      ...conn('b-control', '2026-11-23T03:00:02.000Z', 'relay-b.example', named(b), '127.0.0.1'),
      // both from 127.0.0.1: the EHLO name tells them apart
      ...conn('a-refusal', '2026-11-23T03:00:10.000Z', 'relay-a.example', [], '127.0.0.1'),
      ...conn('b-refusal', '2026-11-23T03:00:11.000Z', 'relay-b.example', [], '127.0.0.1'),
    ];
    const result = attributeConnections(events, [a, b], together);
    expect(conns(result, a.id)).toEqual(['a-control', 'a-refusal']);
    expect(conns(result, b.id)).toEqual(['b-control', 'b-refusal']);
  });

  it('a connection whose EHLO the receiver refused (ehlo-refused) is still known by the name the EHLO gave', () => {
    const refused = (id: string, time: string, name: string): ReceiverEvent[] => {
      const base = { profile: 'expired', conn: id, time };
      return [
        { ...base, seq: ++seq, type: 'connect', peer: { address: '127.0.0.1', port: 1 }, local: { address: '127.0.2.9', port: 25 } },
        { ...base, seq: ++seq, type: 'command', verb: 'EHLO', line: `EHLO ${name}` },
        { ...base, seq: ++seq, type: 'reply', code: 500, text: 'Error: command not recognized' },
        { ...base, seq: ++seq, type: 'command', verb: 'QUIT', line: 'QUIT' },
      ] as ReceiverEvent[];
    };
    const events = [
      ...conn('a-control', '2026-11-23T03:00:01.000Z', 'relay-a.example', named(a), '127.0.0.1'),
      ...conn('b-control', '2026-11-23T03:00:02.000Z', 'relay-b.example', named(b), '127.0.0.1'),
      ...refused('a-refused', '2026-11-23T03:00:10.000Z', 'relay-a.example'),
      ...refused('b-refused', '2026-11-23T03:00:11.000Z', 'Relay-B.example'),
    ];
    const result = attributeConnections(events, [a, b], together);
    expect(conns(result, a.id)).toEqual(['a-control', 'a-refused']);
    expect(conns(result, b.id)).toEqual(['b-control', 'b-refused']);
    expect(result.stray).toEqual([]);
  });

  it('two senders that look alike, or one that never showed itself, leave a nameless connection stray: never the other sender\'s', () => {
    const alike = [
      ...conn('a-control', '2026-11-23T03:00:01.000Z', 'relay.example', named(a)),
      ...conn('b-control', '2026-11-23T03:00:02.000Z', 'relay.example', named(b)),
      ...conn('whose', '2026-11-23T03:00:10.000Z', 'relay.example'),
    ];
    expect(attributeConnections(alike, [a, b], together).stray).toEqual(['whose']);
    // The same EHLO name from two addresses (one provider's pool): the address is no tiebreak.
    const pool = [
      ...conn('a-control', '2026-11-23T03:00:01.000Z', 'mx.provider.example', named(a), '198.51.100.1'),
      ...conn('b-control', '2026-11-23T03:00:02.000Z', 'mx.provider.example', named(b), '198.51.100.2'),
      ...conn('pool-refusal', '2026-11-23T03:00:10.000Z', 'mx.provider.example', [], '198.51.100.1'),
    ];
    expect(attributeConnections(pool, [a, b], together).stray).toEqual(['pool-refusal']);
    // b never named a probe: a connection greeting as a does could still be b's
    const unknown = [...conn('a-control', '2026-11-23T03:00:01.000Z', 'relay-a.example', named(a)), ...conn('maybe-b', '2026-11-23T03:00:10.000Z', 'relay-a.example')];
    expect(attributeConnections(unknown, [a, b], together).stray).toEqual(['maybe-b']);
  });

  it('a sender whose EHLO name is known in advance is ruled in by it, and ruled out when the connection greets otherwise', () => {
    const declared = new Map([['sender-a', 'strict-abc123.builtin.badmx.invalid']]);
    const events = [
      // a's refusal: its own name, though it never named a probe
      ...conn('a-refusal', '2026-11-23T03:00:10.000Z', 'strict-abc123.builtin.badmx.invalid'),
      // not a's name: b is the only sender left, though it never showed itself either
      ...conn('b-refusal', '2026-11-23T03:00:11.000Z', 'vendor.example'),
    ];
    const result = attributeConnections(events, [a, b], together, declared);
    expect(conns(result, a.id)).toEqual(['a-refusal']);
    expect(conns(result, b.id)).toEqual(['b-refusal']);
    // Without the declared name nothing tells them apart: both stray.
    expect(attributeConnections(events, [a, b], together).stray).toEqual(['a-refusal', 'b-refusal']);
  });
});
