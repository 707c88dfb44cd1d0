import { describe, expect, it } from 'vitest';
import { parseReceived, receivedHopsOldestFirst } from '../../src/evidence/parse-received.js';
import { formatReceived } from '../../src/receivers/received-header.js';
import { SYNTHETIC_RECEIVED } from './synthetic-received.js';
import { PLAINTEXT_STAMP } from '../helpers/received-stamp.js';

describe('parseReceived: synthetic edge cases', () => {
  it.each(SYNTHETIC_RECEIVED.map((c) => [c.what, c] as const))('%s', (_, c) => {
    expect(parseReceived(c.field)).toMatchObject(c.expected);
  });

  it('reads deep nesting and long runs without choking', () => {
    const deep = `from a ${'('.repeat(20_000)}x${')'.repeat(20_000)} by b with ESMTPS; Mon, 5 Jan 2026 09:08:07 +0000`;
    expect(parseReceived(deep)).toMatchObject({ by: { host: 'b' }, with: 'ESMTPS', date: '2026-01-05T09:08:07.000Z', tls: { tls: true } });
    const runs = `from a by b with SMTP ${';'.repeat(10_000)}${' '.repeat(10_000)}`;
    expect(parseReceived(runs).date).toBeNull();
  });
});

describe("badmx's own Received stamp reads back to what the receiver recorded", () => {
  const base = PLAINTEXT_STAMP;
  const value = (header: string): string => header.replace(/^Received:\s*/, '');

  it.each([
    ['TLSv1.0', 'AES128-SHA', 128],
    ['TLSv1.1', 'AES256-SHA', 256],
    ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 128],
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256],
  ] as const)('%s %s', (version, cipher, bits) => {
    const hop = parseReceived(value(formatReceived({ ...base, tls: { version, cipher, sni: 'mx.tls1.2.badmx.test' } })));
    expect(hop).toEqual({
      raw: expect.any(String) as string,
      from: { helo: 'sender.example', rdns: null, address: '127.0.0.1' },
      by: { host: 'mx.tls1.2.badmx.test', software: 'badmx 0.1.0; profile tls1.2' },
      with: 'ESMTPS',
      id: 'ABC.conn.1',
      for: 'probe@tls1.2.badmx.test',
      date: '2026-11-23T02:03:04.000Z',
      tls: { tls: true, version, cipher, bits, verify: null, basis: 'comment', statement: expect.stringMatching(/^version=/) as string },
    });
  });

  it('plaintext, HELO, no greeting, IPv6 peer, UTF8SMTPS', () => {
    expect(parseReceived(value(formatReceived({ ...base, tls: null }))).tls.tls).toBe(false);
    expect(parseReceived(value(formatReceived({ ...base, tls: null, esmtp: false })))).toMatchObject({ with: 'SMTP', tls: { tls: false } });
    expect(parseReceived(value(formatReceived({ ...base, tls: null, helo: null })))).toMatchObject({ from: { helo: null, address: '127.0.0.1' } });
    expect(parseReceived(value(formatReceived({ ...base, tls: null, peerAddress: '2001:db8::5' })))).toMatchObject({ from: { address: '2001:db8::5' } });
    expect(parseReceived(value(formatReceived({ ...base, utf8: true, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', sni: null } })))).toMatchObject({
      with: 'UTF8SMTPS',
      tls: { tls: true, version: 'TLSv1.3', bits: 128 },
    });
    // the receiver writes bits=unknown for a cipher it cannot size
    expect(parseReceived(value(formatReceived({ ...base, tls: { version: 'TLSv1.2', cipher: 'NULL-SHA', sni: null } }))).tls).toMatchObject({ tls: true, bits: null });
  });
});

describe('receivedHopsOldestFirst', () => {
  it('returns the chain oldest first: the top field is the newest hop', () => {
    const message = [
      'Received: from relay.example (relay.example [192.0.2.2])',
      '\tby mx.example (Postfix) with ESMTPS id NEWEST; Mon, 5 Jan 2026 09:08:09 +0000',
      'Subject: hi',
      'Received: from client.example ([192.0.2.1]) by relay.example',
      ' with ESMTPSA id MIDDLE; Mon, 5 Jan 2026 09:08:08 +0000',
      'received: by client.example with LMTP id OLDEST; Mon, 5 Jan 2026 09:08:07 +0000',
      '',
      'Received: from body.example by nowhere with SMTP id BODY; Mon, 5 Jan 2026 09:08:06 +0000',
    ].join('\r\n');
    expect(receivedHopsOldestFirst(message).map((h) => h.id)).toEqual(['OLDEST', 'MIDDLE', 'NEWEST']);
  });
});
