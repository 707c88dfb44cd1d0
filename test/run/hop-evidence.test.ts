import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReceived } from '../../src/evidence/parse-received.js';
import { formatReceived } from '../../src/receivers/received-header.js';
import { crossCheckReceiverHop, readHopEvidence } from '../../src/run/hop-evidence.js';

const MX = 'mx.tls1.3.badmx.test';
const stamp = (tls: { version: 'TLSv1.2' | 'TLSv1.3'; cipher: string } | null, byHost = MX): string =>
  formatReceived({
    helo: 'relay.example',
    esmtp: true,
    peerAddress: '192.0.2.9',
    byHost,
    software: 'badmx 0.1.0; profile tls1.3',
    tls: tls && { ...tls, sni: MX },
    utf8: false,
    id: 'ID1',
    recipients: ['probe-1@tls1.3.badmx.test'],
    date: new Date(Date.UTC(2026, 0, 5, 9, 8, 7)),
  });
const hop = (header: string) => parseReceived(header.replace(/^Received:\s*/, ''));
const TLS13 = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } as const;

// A relay's stamp, copied from a real message (see test/evidence/fixtures/received-corpus.json).
const RELAY =
  'Received: from skiff.uberspace.de (skiff.uberspace.de [185.26.156.131])\r\n by mailgate01.uberspace.is (Postfix) with ESMTPS id F3D8260BF4\r\n for <qemu-devel@nongnu.org>; Thu,  4 Sep 2025 22:49:17 +0200 (CEST)\r\n';

describe('crossCheckReceiverHop: the receiver stamp against the session record', () => {
  it('agreeing evidence: null', () => {
    expect(crossCheckReceiverHop([hop(stamp(TLS13))], MX, TLS13)).toBeNull();
    expect(crossCheckReceiverHop([hop(stamp(null))], MX, null)).toBeNull();
  });

  it('a stamp claiming another version than the session negotiated', () => {
    expect(crossCheckReceiverHop([hop(stamp({ version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' }))], MX, TLS13)).toBe(
      `Received by ${MX} says TLSv1.2 but the session negotiated TLSv1.3`,
    );
  });

  it('a stamp claiming TLS for a plaintext session, and plaintext for a TLS session', () => {
    expect(crossCheckReceiverHop([hop(stamp(TLS13))], MX, null)).toBe(`Received by ${MX} says TLS (TLSv1.3) but the session was plaintext`);
    expect(crossCheckReceiverHop([hop(stamp(null))], MX, TLS13)).toBe(`Received by ${MX} says plaintext (with ESMTP) but the session negotiated TLSv1.3`);
  });

  it('a newest field that is not the receiver’s own', () => {
    expect(crossCheckReceiverHop([hop(stamp(TLS13)), hop(RELAY)], MX, TLS13)).toBe(
      `the newest Received field is by mailgate01.uberspace.is, not by the receiver ${MX}`,
    );
  });

  it('nothing comparable: no hops, TLS unknown, TLS stated without a version, a session version unknown', () => {
    expect(crossCheckReceiverHop([], MX, TLS13)).toBeNull();
    expect(crossCheckReceiverHop([parseReceived(`by ${MX} with HTTP; Mon, 5 Jan 2026 09:08:07 +0000`)], MX, TLS13)).toBeNull();
    expect(crossCheckReceiverHop([parseReceived(`from a by ${MX} with ESMTPS; Mon, 5 Jan 2026 09:08:07 +0000`)], MX, TLS13)).toBeNull();
    expect(crossCheckReceiverHop([hop(stamp(TLS13))], MX, { version: 'unknown', cipher: 'x' })).toBeNull();
  });
});

describe('readHopEvidence: the chain of a stored message', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'badmx-hops-'));
  mkdirSync(join(runDir, 'messages', 'tls1.3'), { recursive: true });
  const store = (name: string, content: string): string => {
    writeFileSync(join(runDir, 'messages', 'tls1.3', name), content);
    return join('messages', 'tls1.3', name);
  };

  it('reads every hop oldest first, the receiver’s stamp last, and finds no mismatch when it agrees', () => {
    const file = store('relayed.eml', `${stamp(TLS13)}${RELAY}Subject: probe\r\n\r\nReceived: in the body, not a field\r\n`);
    const evidence = readHopEvidence(runDir, file, MX, TLS13);
    expect(evidence.hops?.map((h) => h.by.host)).toEqual(['mailgate01.uberspace.is', MX]);
    expect(evidence.hops?.[1]?.tls).toEqual({ tls: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, verify: null, basis: 'comment', statement: expect.stringMatching(/^version=TLSv1\.3 cipher=TLS_AES_256_GCM_SHA384/) as string });
    expect(evidence.evidenceMismatch).toBeNull();
  });

  it('a sender-forged Received field claiming TLS under the receiver’s name does not fool the cross-check', () => {
    // The sender delivered in plaintext but put a TLS stamp "by" our MX into its own header; our real stamp sits on top.
    const forged = `Received: from relay.example ([192.0.2.9]) by ${MX} with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256); Mon, 5 Jan 2026 09:08:06 +0000\r\n`;
    const file = store('forged.eml', `${stamp(null)}${forged}Subject: probe\r\n\r\nbody\r\n`);
    const evidence = readHopEvidence(runDir, file, MX, null);
    expect(evidence.hops?.map((h) => h.tls.tls)).toEqual([true, false]);
    expect(evidence.evidenceMismatch).toBeNull();
  });

  it('a stored stamp that disagrees with the session is reported', () => {
    const file = store('disagrees.eml', `${stamp({ version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' })}Subject: probe\r\n\r\nbody\r\n`);
    expect(readHopEvidence(runDir, file, MX, TLS13).evidenceMismatch).toBe(`Received by ${MX} says TLSv1.2 but the session negotiated TLSv1.3`);
  });

  it('no delivered message, or one that cannot be read: no chain, nothing to compare', () => {
    expect(readHopEvidence(runDir, null, MX, null)).toEqual({ hops: null, evidenceMismatch: null });
    expect(readHopEvidence(runDir, join('messages', 'missing.eml'), MX, null)).toEqual({ hops: null, evidenceMismatch: null });
  });
});
