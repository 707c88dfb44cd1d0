import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerLimiter, peerKey } from '../../src/receivers/peer-limits.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { connectionByPeerPort, startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

describe('per-peer limiter', () => {
  it('counts open connections per address, and admitted ones in a sliding minute', () => {
    let now = 0;
    const limiter = new PeerLimiter({ maxConnectionsPerPeer: 2, maxNewConnectionsPerPeerPerMinute: 3 }, () => now);
    expect(limiter.admit('192.0.2.1')).toBeNull();
    expect(limiter.admit('192.0.2.1')).toBeNull();
    expect(limiter.admit('192.0.2.1')).toEqual({ limit: 'concurrent', max: 2 });
    // another address is counted on its own
    expect(limiter.admit('192.0.2.2')).toBeNull();
    limiter.release('192.0.2.1');
    now = 1_000;
    expect(limiter.admit('192.0.2.1')).toBeNull();
    limiter.release('192.0.2.1');
    limiter.release('192.0.2.1');
    // three admitted within the minute: the fourth waits, refusals do not extend the wait
    expect(limiter.admit('192.0.2.1')).toEqual({ limit: 'per-minute', max: 3 });
    now = 59_999;
    expect(limiter.admit('192.0.2.1')).toEqual({ limit: 'per-minute', max: 3 });
    now = 60_000;
    expect(limiter.admit('192.0.2.1')).toBeNull();
  });

  it('exempts loopback peers (the harness\'s own senders) when told to', () => {
    const limiter = new PeerLimiter({ maxConnectionsPerPeer: 1, maxNewConnectionsPerPeerPerMinute: 1, exemptLoopbackPeers: true });
    for (let i = 0; i < 5; i++) expect(limiter.admit('127.0.0.1')).toBeNull();
    expect(limiter.admit('::1')).toBeNull();
    expect(limiter.admit('192.0.2.1')).toBeNull();
    expect(limiter.admit('192.0.2.1')).toEqual({ limit: 'concurrent', max: 1 });
  });
});

describe('per-peer limits on a receiver', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({ addressBase: testNet('receivers/peer-limits').base, profiles: ['tls1.2'], limits: { maxConnectionsPerPeer: 3, maxNewConnectionsPerPeerPerMinute: 5, exemptLoopbackPeers: false } });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('N+1 connections from one address: the last gets 421 4.7.0, is closed and recorded; others are untouched', async () => {
    const member = fleet.member('tls1.2');
    const open = await Promise.all([1, 2, 3].map(() => RawSmtpClient.open(member.address, member.port)));
    for (const client of open) expect((await client.reply()).code).toBe(220);

    const extra = await RawSmtpClient.open(member.address, member.port);
    const refused = await extra.reply();
    expect(refused.code).toBe(421);
    expect(refused.lines[0]).toMatch(/^421 4\.7\.0 mx\.tls1\.2\.badmx\.test too many connections from your address \(at most 3 at once\); try again later$/);
    await extra.waitClosed();
    const limited = await waitForEvent(fleet, (e) => e.type === 'close' && connectionByPeerPort(fleet.events(), extra.localPort).some((x) => x.conn === e.conn));
    const events = connectionByPeerPort(fleet.events(), extra.localPort);
    expect(events.map((e) => e.type)).toEqual(['connect', 'peer-limit', 'reply', 'close']);
    expect(events[1]).toMatchObject({ type: 'peer-limit', address: '127.0.0.1', limit: 'concurrent', max: 3 });
    expect(limited.profile).toBe('tls1.2');

    // the admitted sessions go on as if nothing happened
    expect((await open[0]?.command('EHLO still.here'))?.code).toBe(250);

    // one leaves: there is room again (the 4th admitted this minute)
    expect((await open[0]?.command('QUIT'))?.code).toBe(221);
    await open[0]?.waitClosed();
    await waitForEvent(fleet, (e) => e.type === 'close' && connectionByPeerPort(fleet.events(), open[0]?.localPort ?? 0).some((x) => x.conn === e.conn));
    const fourth = await RawSmtpClient.open(member.address, member.port);
    expect((await fourth.reply()).code).toBe(220);
    for (const client of [...open.slice(1), fourth]) {
      client.destroy();
      await waitForEvent(fleet, (e) => e.type === 'close' && connectionByPeerPort(fleet.events(), client.localPort).some((x) => x.conn === e.conn));
    }

    // the 5th new connection in the minute is admitted, the 6th is not, however few are open
    const fifth = await RawSmtpClient.open(member.address, member.port);
    expect((await fifth.reply()).code).toBe(220);
    fifth.destroy();
    const sixth = await RawSmtpClient.open(member.address, member.port);
    const rate = await sixth.reply();
    expect(rate.lines[0]).toMatch(/^421 4\.7\.0 .* too many connections from your address \(at most 5 per minute\)/);
    await sixth.waitClosed();
  });
});

describe('IPv6 peers are counted by /64', () => {
  it('normalizes an IPv6 address to its /64 and leaves IPv4 alone', () => {
    expect(peerKey('203.0.113.5')).toBe('203.0.113.5');
    expect(peerKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    // a dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: each is its own peer, not one shared /64
    expect(peerKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(peerKey('::FFFF:198.51.100.7')).toBe('198.51.100.7');
    expect(peerKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
  });

  it('two addresses of one /64 share the limit; another /64 does not', () => {
    const limiter = new PeerLimiter({ maxConnectionsPerPeer: 1, maxNewConnectionsPerPeerPerMinute: 10 }, () => 0);
    expect(limiter.admit('2001:db8:1:2::10')).toBeNull();
    expect(limiter.admit('2001:db8:1:2::11')).toEqual({ limit: 'concurrent', max: 1 });
    expect(limiter.admit('2001:db8:1:3::10')).toBeNull();
    limiter.release('2001:db8:1:2::10');
    expect(limiter.admit('2001:db8:1:2::11')).toBeNull();
  });
});

describe('refusals are recorded once per peer per minute', () => {
  it('the rest are counted, and the count goes with the next one recorded', () => {
    let now = 0;
    const limiter = new PeerLimiter({ maxConnectionsPerPeer: 1, maxNewConnectionsPerPeerPerMinute: 1 }, () => now);
    expect(limiter.recordRefusal('198.51.100.7')).toEqual({ record: true, suppressed: 0 });
    expect(limiter.recordRefusal('198.51.100.7')).toEqual({ record: false, suppressed: 1 });
    expect(limiter.recordRefusal('198.51.100.7')).toEqual({ record: false, suppressed: 2 });
    expect(limiter.recordRefusal('198.51.100.8')).toEqual({ record: true, suppressed: 0 });
    now = 60_000;
    expect(limiter.recordRefusal('198.51.100.7')).toEqual({ record: true, suppressed: 2 });
  });
});
