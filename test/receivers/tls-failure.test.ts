import { describe, expect, it } from 'vitest';
import { describeTlsFailure, fatalAlertRecord } from '../../src/receivers/tls-failure.js';

function opensslError(reason: string, code: string, tlsProtocol = 'TLSv1.3') {
  return Object.assign(new Error(`error:0A000418:SSL routines::${reason}`), { reason, code, meta: { tlsProtocol } });
}

describe('TLS failure description', () => {
  it.each([
    ['tlsv1 alert unknown ca', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'unknown_ca'],
    ['sslv3 alert bad certificate', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'bad_certificate'],
    ['sslv3 alert certificate expired', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'certificate_expired'],
    ['tlsv1 alert protocol version', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'protocol_version'],
    ['sslv3 alert handshake failure', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'handshake_failure'],
  ])('a received alert (%s) is the client’s, by its RFC 8446 name', (reason, code, alert) => {
    expect(describeTlsFailure(opensslError(reason, code))).toMatchObject({ origin: 'client', alert, code });
  });

  it('a ClientHello the receiver cannot serve is the server’s refusal, with the alert it sends', () => {
    expect(describeTlsFailure(opensslError('unsupported protocol', 'ERR_SSL_UNSUPPORTED_PROTOCOL'))).toMatchObject({
      origin: 'server',
      alert: 'protocol_version',
    });
    expect(describeTlsFailure(opensslError('no shared cipher', 'ERR_SSL_NO_SHARED_CIPHER'))).toMatchObject({
      origin: 'server',
      alert: 'handshake_failure',
    });
  });

  it('"wrong version number" is garbage before negotiation, a refused version after it', () => {
    expect(describeTlsFailure(opensslError('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'))).toMatchObject({
      origin: 'server',
      alert: null,
    });
    expect(describeTlsFailure(opensslError('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER', 'TLSv1'))).toMatchObject({
      origin: 'client',
      alert: 'protocol_version',
      reason: expect.stringContaining('TLSv1.0') as unknown,
    });
  });

  it('no error, or a reset, is a client that left without an alert', () => {
    expect(describeTlsFailure(null)).toMatchObject({ origin: 'none', alert: null });
    expect(describeTlsFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ origin: 'none' });
  });

  it('builds a fatal alert record', () => {
    expect([...fatalAlertRecord(40, [3, 3])]).toEqual([0x15, 3, 3, 0, 2, 2, 40]);
  });
});
