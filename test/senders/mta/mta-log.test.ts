import { describe, expect, it } from 'vitest';
import { readEximLog, readPostfixLog } from '../../../src/senders/mta/mta-log.js';

// Lines as the managed instances wrote them in a badmx run (Postfix 3.7 maillog_file, Exim 4.96 mainlog).
const POSTFIX = [
  'Nov 24 17:05:45 postfix-may postfix-may/cleanup[20101]: 8D3E320CB15: message-id=<probe-cdvva6dul-1@probes.badmx.test>',
  'Nov 24 17:05:45 postfix-may postfix-may/smtp[20108]: 8D3E320CB15: to=<probe-cdvva6dul-1@no-starttls.badmx.test>, relay=mx.no-starttls.badmx.test[127.0.2.1]:25, delay=0.24, delays=0.02/0.07/0.13/0.02, dsn=2.6.0, status=sent (250 2.6.0 Ok: queued as MWUY4H1F.hfvbonkhudt1ojgo.1)',
  'Nov 24 17:05:45 postfix-may postfix-may/smtp[20115]: 901F520CB17: to=<probe-cdvva6dul-3@handshake-failure.badmx.test>, relay=mx.handshake-failure.badmx.test[127.0.2.3]:25, delay=0.24, delays=0.04/0.08/0.12/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)',
  'Nov 24 17:06:00 postfix-secure postfix-secure/smtp[20297]: 3FF4520C023: to=<probe-cdvva6dul-44@starttls-454.badmx.test>, relay=mx.starttls-454.badmx.test[127.0.2.2]:25, delay=0.16, delays=0.01/0.05/0.11/0, dsn=4.7.0, status=deferred (TLS is required, but host mx.starttls-454.badmx.test[127.0.2.2] refused to start TLS: 454 4.7.0 TLS not available)',
  'Nov 24 17:06:02 postfix-secure postfix-secure/smtp[20298]: 3FF4520C023: to=<probe-cdvva6dul-44@starttls-454.badmx.test>, relay=mx.starttls-454.badmx.test[127.0.2.2]:25, delay=2.2, delays=2/0.05/0.11/0, dsn=4.7.0, status=deferred (TLS is required, but host mx.starttls-454.badmx.test[127.0.2.2] refused to start TLS: 454 4.7.0 TLS not available)',
  // qmgr(8) when a deferred message outlives maximal_queue_lifetime before its next attempt
  'Nov 24 17:06:12 postfix-secure postfix-secure/qmgr[20290]: 3FF4520C023: from=<badmx-cdvva6dul-44@probes.badmx.test>, status=expired, returned to sender',
  'Nov 24 17:06:12 postfix-secure postfix-secure/smtp[20299]: 4AA0020C024: to=<Probe-X@Expired.badmx.test>, relay=none, delay=12, dsn=4.4.1, status=bounced (mail for expired.badmx.test loops back to myself)',
  'a line that is not Postfix at all to=<',
].join('\n');

const EXIM = [
  '2026-11-24 17:06:07 1xVty3-0005Jq-2Y <= badmx-cdvva6dul-71@probes.badmx.test H=(badmx.invalid) [127.0.0.1] P=esmtp S=1103 id=probe-cdvva6dul-71@probes.badmx.test',
  '2026-11-24 17:06:07 1xVty3-0005Jq-2Y == probe-cdvva6dul-71@no-starttls.badmx.test R=dnslookup T=remote_smtp defer (-38) H=mx.no-starttls.badmx.test [127.0.2.1]:25: a TLS session is required, but the server did not offer TLS support',
  "2026-11-24 17:06:08 1xVty3-0005Jq-2Y == probe-cdvva6dul-71@no-starttls.badmx.test R=dnslookup T=remote_smtp defer (-54): retry time not reached for any host for 'no-starttls.badmx.test'",
  '2026-11-24 17:06:09 1xVty3-0005Jq-2Y == probe-cdvva6dul-71@no-starttls.badmx.test R=dnslookup T=remote_smtp defer (-38) H=mx.no-starttls.badmx.test [127.0.2.1]:25: a TLS session is required, but the server did not offer TLS support',
  '2026-11-24 17:06:07 1xVty3-0005Jt-2Y => probe-cdvva6dul-74@tls1.0.badmx.test R=dnslookup T=remote_smtp H=mx.tls1.0.badmx.test [127.0.2.4]:25 X=TLS1.0:RSA__AES_128_CBC__SHA1:128 CV=yes DN="CN=mx.tls1.0.badmx.test,O=badmx test PKI" C="250 2.6.0 Ok: queued as MWUY4Y5G.ug25mjqoserm6hkg.6"',
  '2026-11-24 17:06:20 1xVty3-0005Jr-2X ** probe-cdvva6dul-72@starttls-454.badmx.test R=dnslookup T=remote_smtp: retry timeout exceeded',
  '2026-11-24 17:06:20 1xVty3-0005Jr-2X Completed',
].join('\n');

describe('readPostfixLog', () => {
  it('keeps the last status per recipient and counts the attempts', () => {
    const statuses = readPostfixLog(POSTFIX);
    expect(statuses.get('probe-cdvva6dul-1@no-starttls.badmx.test')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(statuses.get('probe-cdvva6dul-3@handshake-failure.badmx.test')).toMatchObject({ status: 'deferred', attempts: 1, detail: 'status=deferred (Cannot start TLS: handshake failure)' });
    expect(statuses.get('probe-cdvva6dul-44@starttls-454.badmx.test')).toMatchObject({ status: 'deferred', attempts: 2 });
  });

  it('reads bounces, matching recipients case-insensitively', () => {
    expect(readPostfixLog(POSTFIX).get('probe-x@expired.badmx.test')).toMatchObject({ status: 'bounced' });
  });

  it('ignores lines it does not know and never throws on garbage', () => {
    expect(readPostfixLog('to=<\n status=\n\u0000\u0001 to=<x> status=queued')).toEqual(new Map());
  });
});

describe('readEximLog', () => {
  it('reads =>, == and ** lines; a queue runner skipping a host is not an attempt', () => {
    const statuses = readEximLog(EXIM);
    expect(statuses.get('probe-cdvva6dul-71@no-starttls.badmx.test')).toMatchObject({ status: 'deferred', attempts: 2 });
    expect(statuses.get('probe-cdvva6dul-74@tls1.0.badmx.test')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(statuses.get('probe-cdvva6dul-74@tls1.0.badmx.test')?.detail).toMatch(/X=TLS1\.0:RSA__AES_128_CBC__SHA1:128 CV=yes/);
    expect(statuses.get('probe-cdvva6dul-72@starttls-454.badmx.test')).toMatchObject({ status: 'bounced' });
  });

  it('ignores arrivals and other lines', () => {
    expect(readEximLog('2026-11-24 17:06:07 1xVty3-0005Jq-2Y <= a@b H=x\ngarbage ** \n')).toEqual(new Map());
  });
});

describe('readPostfixLog and a destination held back', () => {
  it('"delivery temporarily suspended" is not an attempt: Postfix did not connect', () => {
    const lines = [
      'Nov 24 17:06:00 p p/smtp[1]: A1: to=<probe-x@starttls-454.badmx.test>, relay=mx.starttls-454.badmx.test[127.0.2.2]:25, delay=0.1, dsn=4.7.0, status=deferred (TLS is required, but host refused to start TLS: 454 4.7.0 TLS not available)',
      'Nov 24 17:06:01 p p/qmgr[2]: A1: to=<probe-x@starttls-454.badmx.test>, relay=none, delay=1, dsn=4.7.0, status=deferred (delivery temporarily suspended: TLS is required, but host refused to start TLS)',
    ].join('\n');
    expect(readPostfixLog(lines).get('probe-x@starttls-454.badmx.test')).toMatchObject({ status: 'deferred', attempts: 1 });
  });
});
