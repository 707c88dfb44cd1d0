import { describe, expect, it } from 'vitest';
import { cipherBits, formatReceived, rfc5322Date } from '../../src/receivers/received-header.js';
import { PLAINTEXT_STAMP } from '../helpers/received-stamp.js';

const base = PLAINTEXT_STAMP;

describe('Received header', () => {
  it('plaintext ESMTP: RFC 5321 §4.4 stamp with the RFC 3848 keyword ESMTP', () => {
    expect(formatReceived(base)).toBe(
      'Received: from sender.example ([127.0.0.1])\r\n\tby mx.tls1.2.badmx.test (badmx 0.1.0; profile tls1.2)\r\n\twith ESMTP\r\n\tid ABC.conn.1\r\n\tfor <probe@tls1.2.badmx.test>; Mon, 23 Nov 2026 02:03:04 +0000\r\n',
    );
  });

  it('TLS: ESMTPS with the negotiated version, cipher, bits and SNI in a comment', () => {
    const header = formatReceived({ ...base, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', sni: 'mx.tls1.2.badmx.test' } });
    expect(header).toContain('with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 sni=mx.tls1.2.badmx.test)');
  });

  it('HELO is SMTP; SMTPUTF8 is UTF8SMTP(S) (RFC 6531 §3.7.3); IPv6 peers get an IPv6 literal', () => {
    expect(formatReceived({ ...base, esmtp: false })).toContain('with SMTP\r\n');
    expect(formatReceived({ ...base, utf8: true })).toContain('with UTF8SMTP\r\n');
    expect(formatReceived({ ...base, utf8: true, tls: { version: 'TLSv1.2', cipher: 'AES128-SHA', sni: null } })).toContain(
      'with UTF8SMTPS (version=TLSv1.2 cipher=AES128-SHA bits=128)',
    );
    expect(formatReceived({ ...base, peerAddress: '::1' })).toContain('from sender.example ([IPv6:::1])');
  });

  it('several recipients are not listed (a Received header must not disclose Bcc recipients)', () => {
    expect(formatReceived({ ...base, recipients: ['a@x', 'b@x'] })).not.toContain(' for ');
  });

  it('knows the key size of common ciphers', () => {
    expect(cipherBits('ECDHE-RSA-AES128-GCM-SHA256')).toBe(128);
    expect(cipherBits('TLS_CHACHA20_POLY1305_SHA256')).toBe(256);
    expect(cipherBits('AES256-SHA')).toBe(256);
    expect(cipherBits('DES-CBC3-SHA')).toBe(112);
    expect(cipherBits('NULL-SHA')).toBeNull();
  });

  it('dates are RFC 5322 with a numeric zone', () => {
    expect(rfc5322Date(new Date(Date.UTC(2026, 0, 5, 9, 8, 7)))).toBe('Mon, 5 Jan 2026 09:08:07 +0000');
  });
});
