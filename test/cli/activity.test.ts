import { describe, expect, it } from 'vitest';
import { activityLine } from '../../src/cli/activity.js';

const base = { seq: 1, time: '2026-11-23T02:05:51.000Z', profile: 'tls1.0', conn: 'kn8tbp3l7dn8v4kh' };

describe('serve activity lines', () => {
  it('says how each message arrived', () => {
    const line = activityLine({
      ...base,
      type: 'data',
      accepted: true,
      reply: 250,
      messageId: '<m@x>',
      mailFrom: 'a@x',
      rcptTo: ['p@tls1.0.badmx.test'],
      size: 420,
      headers: '',
      received: null,
      file: null,
      tls: false,
    });
    expect(line).toBe('02:05:51 tls1.0             kn8tbp3l DELIVERED <m@x> in PLAINTEXT, 420 octets');
  });

  it('names negotiated TLS and failed handshakes, and stays quiet about the rest', () => {
    expect(activityLine({ ...base, type: 'tls', version: 'TLSv1.0', cipher: 'AES128-SHA', standardCipher: null, sni: null })).toMatch(
      /TLS up: TLSv1\.0 AES128-SHA \(no SNI\)$/,
    );
    expect(activityLine({ ...base, type: 'tls-failed', origin: 'client', alert: 'unknown_ca', reason: 'r', code: null })).toMatch(
      /TLS failed \(client, unknown_ca\): r$/,
    );
    expect(activityLine({ ...base, type: 'close' })).toBeNull();
    expect(activityLine({ ...base, type: 'starttls', reply: 220 })).toBeNull();
    expect(activityLine({ ...base, type: 'starttls', reply: 454 })).toMatch(/STARTTLS answered 454$/);
  });
});
