import type { ReceivedHop } from '../../src/evidence/received-hop.js';

/**
 * SYNTHETIC Received fields, written for this test suite to pin edge cases (they are not
 * copied from anywhere; the real ones are in fixtures/received-corpus.json). Each says
 * what it exercises.
 */
export const SYNTHETIC_RECEIVED: { what: string; field: string; expected: Partial<Omit<ReceivedHop, 'from' | 'by'>> & { from?: Partial<ReceivedHop['from']>; by?: Partial<ReceivedHop['by']> } }[] = [
  {
    what: 'IPv6 domain literal with the IPv6: tag (RFC 5321 §4.1.3)',
    field: 'from mx.example.org (mx.example.org [IPv6:2001:db8::1]) by mx.example.net (Postfix) with ESMTP id ABC; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { from: { helo: 'mx.example.org', rdns: 'mx.example.org', address: '2001:db8::1' }, tls: { tls: false, version: null, cipher: null, bits: null, verify: null } },
  },
  {
    what: 'a bare IPv6 literal after "from" and no HELO',
    field: 'from [IPv6:2001:db8::25] by mx.example.net with ESMTPS; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { from: { helo: null, rdns: null, address: '2001:db8::25' }, tls: { tls: true, version: null, cipher: null, bits: null, verify: null } },
  },
  {
    what: 'a plain keyword without a date still states no TLS: the keyword is the writer\'s statement (RFC 3848), however the rest reads',
    field: 'from a.example by b.example with ESMTP id X',
    expected: { by: { host: 'b.example' }, with: 'ESMTP', date: null, tls: { tls: false, version: null, cipher: null, bits: null, verify: null, basis: 'keyword', statement: 'ESMTP' } },
  },
  {
    what: 'a plain keyword with stray words elsewhere in the field still states no TLS',
    field: 'from a.example by b.example at noon with ESMTP id X; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { tls: { tls: false, version: null, cipher: null, bits: null, verify: null, basis: 'keyword' } },
  },
  {
    what: 'a forged HELO that looks like a TLS comment (ZMailer quotes it in the TCP-info comment)',
    field: 'from x ([192.0.2.7]:1234 "EHLO version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384") by mx.example.net with ESMTP id Q; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { from: { address: '192.0.2.7' }, tls: { tls: false, version: null, cipher: null, bits: null, verify: null } },
  },
  {
    what: 'a forged HELO in Exim helo= form',
    field: 'from x ([192.0.2.7] helo=TLSv1.3:TLS_AES_256_GCM_SHA384:256) by mx.example.net with esmtp id Q; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { from: { helo: 'TLSv1.3:TLS_AES_256_GCM_SHA384:256', address: '192.0.2.7' }, tls: { tls: false, version: null, cipher: null, bits: null, verify: null } },
  },
  {
    what: 'LMTP, UTF8SMTPS and UTF8SMTPSA keywords (RFC 2033, RFC 6531 §3.7.3)',
    field: 'from a.example ([192.0.2.1]) by b.example with UTF8SMTPSA id 1; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { with: 'UTF8SMTPSA', tls: { tls: true, version: null, cipher: null, bits: null, verify: null } },
  },
  {
    what: 'Haraka-style TLS comment',
    field: 'from a.example (a.example [192.0.2.1]) by b.example (Haraka/3.0.3) with ESMTPS id 5E0 (tls TLS_AES_256_GCM_SHA384); Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { by: { host: 'b.example', software: 'Haraka/3.0.3' }, tls: { tls: true, version: null, cipher: 'TLS_AES_256_GCM_SHA384', bits: null, verify: null } },
  },
  {
    what: 'Postfix client certificate verdict',
    field: 'from a.example (a.example [192.0.2.1]) (using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) (Client CN "a.example", Issuer "Example CA" (verified OK)) by b.example (Postfix) with ESMTPS id 1; Mon, 5 Jan 2026 09:08:07 +0000',
    expected: { tls: { tls: true, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256, verify: 'verified OK' } },
  },
  {
    what: 'odd spacing, upper-case keywords, a comment between every clause',
    field: 'FROM   a.example(a.example [192.0.2.1])  (x)BY b.example(y)WITH  SMTP(z)ID  q1(w)FOR<u@b.example>(v);Mon,5 Jan 2026 09:08:07 +0000',
    expected: { from: { helo: 'a.example', address: '192.0.2.1' }, by: { host: 'b.example', software: 'y' }, with: 'SMTP', id: 'q1', for: 'u@b.example', date: '2026-01-05T09:08:07.000Z' },
  },
  {
    what: 'an unterminated comment swallows the rest; what came before is still read',
    field: 'from a.example ([192.0.2.1]) by b.example with ESMTPS (using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256',
    expected: { from: { address: '192.0.2.1' }, by: { host: 'b.example' }, tls: { tls: true, version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: null, verify: null } },
  },
  {
    what: 'an unterminated domain literal',
    field: 'from [192.0.2.1 by b.example',
    expected: { by: { host: null }, tls: { tls: 'unknown', version: null, cipher: null, bits: null, verify: null, basis: 'none', statement: null } },
  },
  {
    what: 'garbage',
    field: ')))]]>>>;;;,,, \u0000\u00ff ((((',
    expected: { from: { helo: null, rdns: null, address: null }, by: { host: null, software: null }, with: null, id: null, for: null, date: null },
  },
];
