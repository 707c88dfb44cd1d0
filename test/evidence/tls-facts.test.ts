import { describe, expect, it } from 'vitest';
import { normalizeTlsVersion, tlsFactsFromComment, tlsFromProtocolKeyword } from '../../src/evidence/tls-facts.js';

describe('normalizeTlsVersion', () => {
  it.each([
    ['TLSv1.2', 'TLSv1.2'],
    ['TLS1_2', 'TLSv1.2'],
    ['TLS1.2', 'TLSv1.2'],
    ['TLS 1.2', 'TLSv1.2'],
    ['TLS-1.2', 'TLSv1.2'],
    ['tlsv1.3', 'TLSv1.3'],
    ['TLS1_3', 'TLSv1.3'],
    ['TLSv1.1', 'TLSv1.1'],
    ['TLSv1', 'TLSv1.0'],
    ['TLS1', 'TLSv1.0'],
    ['TLS1_0', 'TLSv1.0'],
    ['TLSv1.0', 'TLSv1.0'],
    // Exclaimer's tlsversion=, CodeTwo's "(TLS12)": the digits run together.
    ['TLS12', 'TLSv1.2'],
    ['TLS13', 'TLSv1.3'],
    ['TLS10', 'TLSv1.0'],
    ['TLS14', null],
    ['TLS123', null],
    ['SSLv3', 'SSLv3'],
    ['TLSv1/SSLv3', null],
    ['TLSv1.4', null],
    ['TLSv2', null],
    ['', null],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeTlsVersion(input)).toBe(expected);
  });
});

describe('tlsFactsFromComment', () => {
  it('reads each MTA form and nothing from look-alikes', () => {
    expect(tlsFactsFromComment('version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128')).toEqual({ stated: true, version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: 128, verify: null });
    expect(tlsFactsFromComment('TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO')).toEqual({ stated: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, verify: 'NO' });
    expect(tlsFactsFromComment('TLS1.3')).toMatchObject({ stated: true, version: 'TLSv1.3', cipher: null });
    expect(tlsFactsFromComment('authenticated bits=0').stated).toBe(false);
    expect(tlsFactsFromComment('Exim 4.92').stated).toBe(false);
    expect(tlsFactsFromComment('envelope-from <a@b>').stated).toBe(false);
    expect(tlsFactsFromComment('12:34:56').stated).toBe(false);
    expect(tlsFactsFromComment('"version=TLSv1.3 cipher=X"').stated).toBe(false);
    // Exclaimer's own key names
    expect(tlsFactsFromComment('tlsversion=TLS12, tlscipher=TLS_ECDHE_WITH_AES256_SHA384')).toEqual({ stated: true, version: 'TLSv1.2', cipher: 'TLS_ECDHE_WITH_AES256_SHA384', bits: null, verify: null });
    expect(tlsFactsFromComment('subversion=3 ciphertext=x').stated).toBe(false);
    // Postini, Exchange 2010, Exim 3, Deutsche Telekom
    expect(tlsFactsFromComment('using TLSv1')).toEqual({ stated: true, version: 'TLSv1.0', cipher: null, bits: null, verify: null });
    expect(tlsFactsFromComment('using SSLv3')).toMatchObject({ stated: true, version: 'SSLv3' });
    expect(tlsFactsFromComment('TLS')).toMatchObject({ stated: true, version: null, cipher: null });
    expect(tlsFactsFromComment('Cipher TLSv1:DES-CBC3-SHA:168')).toMatchObject({ stated: true, version: 'TLSv1.0', cipher: 'DES-CBC3-SHA', bits: 168 });
    expect(tlsFactsFromComment('TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384 encrypted')).toMatchObject({ stated: true, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    expect(tlsFactsFromComment('using something').stated).toBe(false);
    expect(tlsFactsFromComment('TLSA').stated).toBe(false);
  });
});

describe('tlsFromProtocolKeyword (RFC 3848, RFC 6531)', () => {
  it('S means TLS, the plain registered keywords mean no TLS claimed, anything else says nothing', () => {
    for (const k of ['ESMTPS', 'ESMTPSA', 'esmtps', 'UTF8SMTPS', 'UTF8SMTPSA', 'LMTPS', 'LMTPSA', 'UTF8LMTPS', 'SMTPS', 'smtps', 'HTTPS', 'https', 'ESMTP-TLS']) expect(tlsFromProtocolKeyword(k), k).toBe(true);
    for (const k of ['SMTP', 'ESMTP', 'ESMTPA', 'esmtp', 'LMTP', 'UTF8SMTP', 'UTF8SMTPA', 'local', 'Microsoft SMTP Server', 'Microsoft SMTPSVC']) expect(tlsFromProtocolKeyword(k), k).toBe(false);
    for (const k of ['mapi', 'HTTP', 'IMAP', 'POP3', 'asmtp', 'Novell_GroupWise', null]) expect(tlsFromProtocolKeyword(k), String(k)).toBeNull();
  });
});
