import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ShedEvent } from '../../src/recorder/events.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { connectionByPeerPort, startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { deliverProbe, holdMany, loopbackAddresses, openRawFrom, waitUntil, type HoldingClient } from './holding-clients.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Lock-out: connections that hold a profile's places without ever sending mail, from many
 * loopback addresses (exempt from the per-peer limits), must not keep a sender out. On a
 * full profile the session that has waited longest without a command is shed (421 4.7.0)
 * to make room. The 1,000-connection measurement is `bench/lockout.ts`; this is its CI size.
 *
 * Listeners on 127.0.140.0/24 and 127.0.143.0/24; the holding clients come from 127.0.141.x
 * and 127.0.142.x, the probes from 127.0.142.249-250.
 */
const MAX = 16;
let fleet: TestFleet;
let holders: HoldingClient[] = [];

beforeAll(async () => {
  fleet = await startTestFleet({
    addressBase: testNet('receivers/lockout').base,
    profiles: ['tls1.2'],
    // Deadlines far beyond the test: what makes room here is shedding, not a timer.
    // No grace for new sessions: the holders here are all seconds old (the grace has its own test).
    limits: { maxConnections: MAX, commandTimeoutMs: 120_000, dataTimeoutMs: 120_000, sessionTimeoutMs: 240_000, shedGraceMs: 0 },
  });
});
afterEach(() => {
  for (const client of holders) client.stop();
  holders = [];
});
afterAll(async () => {
  await fleet?.stop();
});

describe('a full profile sheds idle sessions instead of locking senders out', () => {
  it('300 idle and slow connections from 300 loopback addresses: a probe from another address is still delivered', async () => {
    const member = fleet.member('tls1.2');
    const sources = [...loopbackAddresses('127.0.141', 150), ...loopbackAddresses('127.0.142', 150)];
    const { clients, failed } = await holdMany(member, 300, { localAddresses: sources, slowEvery: 2, byteEveryMs: 250, concurrency: 30 });
    holders = clients;
    expect(failed).toBe(0);
    // Every newcomer got its 220: none was refused, the oldest idle ones made room.
    await waitUntil(() => fleet.events().filter((e) => e.type === 'shed').length >= 300 - MAX, 10_000, 'the sheds');

    const probe = await deliverProbe({ ...member, caFile: fleet.caFile, localAddress: testNet('receivers/lockout', 2).host(250), timeoutMs: 20_000 });
    expect(probe.ms).toBeLessThan(10_000);
    const data = await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === probe.messageId);
    expect(data).toMatchObject({ accepted: true, tls: true });

    const events = fleet.events();
    const shed = events.filter((e): e is ShedEvent => e.type === 'shed');
    expect(shed.every((e) => e.reason === 'profile-full' && e.max === MAX)).toBe(true);
    // Never the probe's own session.
    expect(shed.some((e) => e.conn === data.conn)).toBe(false);
    // The shed got 421 4.7.0 and were closed; whoever is still open is within the limit.
    const shedClients = clients.filter((c) => c.received().includes('421 4.7.0'));
    expect(shedClients.length).toBeGreaterThanOrEqual(300 - MAX);
    // (with or without the greeting first: a session can be shed within the 100 ms before it)
    expect(shedClients.every((c) => /^(220 [^\r]*\r\n)?421 4\.7\.0 mx\.tls1\.2\.badmx\.test too many connections to this profile \(at most 16\)/.test(c.received()))).toBe(true);
    await waitUntil(() => clients.filter((c) => !c.closed()).length <= MAX, 10_000, 'the shed to be closed');
  }, 90_000);

  it('idle connections arriving while a sender talks make room among themselves, never at its expense', async () => {
    const member = fleet.member('tls1.2');
    const first = await holdMany(member, MAX, { localAddresses: loopbackAddresses('127.0.141', 200).slice(150), slowEvery: 0 });
    holders = first.clients;
    // One newcomer every 40 ms while the probe is delivered.
    let stop = false;
    const more = (async () => {
      for (let i = 0; i < 100 && !stop; i++) {
        holders.push(...(await holdMany(member, 1, { localAddresses: [testNet('receivers/lockout', 2).host(151 + (i % 50))], slowEvery: 0 })).clients);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const probe = await deliverProbe({ ...member, caFile: fleet.caFile, localAddress: testNet('receivers/lockout', 2).host(249), timeoutMs: 20_000 });
    stop = true;
    await more;
    const data = await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === probe.messageId);
    expect(data).toMatchObject({ accepted: true });
    expect(fleet.events().some((e) => e.type === 'shed' && e.conn === data.conn)).toBe(false);
  }, 60_000);
});

describe('which session is shed', () => {
  let small: TestFleet;
  beforeAll(async () => {
    small = await startTestFleet({ addressBase: testNet('receivers/lockout', 3).base, profiles: ['no-starttls'], limits: { maxConnections: 3, commandTimeoutMs: 60_000, shedGraceMs: 0 } });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it('one that never completed a command before one that did, then the one idle longest; never one inside a mail transaction', async () => {
    const member = small.member('no-starttls');
    const open = async (): Promise<RawSmtpClient> => {
      const client = await RawSmtpClient.open(member.address, member.port);
      expect((await client.reply()).code).toBe(220);
      return client;
    };
    const talker = await open();
    expect((await talker.command('EHLO talker.example')).code).toBe(250);
    const mute1 = await open();
    const mute2 = await open();
    // Full. The next newcomer sheds mute1 (never spoke, oldest of those), though the talker is older.
    const newcomer1 = await open();
    expect((await mute1.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    const newcomer2 = await open();
    expect((await mute2.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    // newcomer1 and newcomer2 speak now, so the talker, whose last command is the oldest, goes next ...
    expect((await newcomer1.command('EHLO one.example')).code).toBe(250);
    expect((await newcomer2.command('EHLO two.example')).code).toBe(250);
    // ... unless it is inside a mail transaction: then the newcomer with the oldest command goes.
    expect((await talker.command('MAIL FROM:<a@talker.example>')).code).toBe(250);
    const newcomer3 = await open();
    expect((await newcomer1.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    expect((await talker.command(`RCPT TO:<x@${member.domain}>`)).code).toBe(250);
    await newcomer1.waitClosed();
    const conn = connectionByPeerPort(small.events(), newcomer1.localPort)[0]?.conn;
    const shed = (await waitForEvent(small, (e) => e.type === 'shed' && e.conn === conn)) as ShedEvent;
    expect(shed.newcomer).toBe(connectionByPeerPort(small.events(), newcomer3.localPort)[0]?.conn);
    expect(shed.ageMs).toBeGreaterThanOrEqual(shed.idleMs);
    expect(small.events().filter((e) => e.conn === conn).map((e) => e.type).slice(-3)).toEqual(['shed', 'reply', 'close']);
    for (const client of [talker, mute1, mute2, newcomer1, newcomer2, newcomer3]) client.destroy();
  });

  it('a peer whose session was just shed may take the place of its own sessions only: coming straight back sheds nobody else', async () => {
    const member = small.member('no-starttls');
    const from = async (address: string): Promise<RawSmtpClient> => {
      const client = await openRawFrom(member.address, member.port, address);
      expect((await client.reply()).code).toBe(220);
      return client;
    };
    // Wait out what the previous test left behind.
    await waitUntil(() => small.events().filter((e) => e.type === 'connect').length === small.events().filter((e) => e.type === 'close').length, 10_000, 'the earlier sessions to close');
    const sender = await from(testNet('receivers/lockout', 2).host(240));
    expect((await sender.command('EHLO sender.example')).code).toBe(250);
    const a1 = await from(testNet('receivers/lockout', 2).host(241));
    const a2 = await from(testNet('receivers/lockout', 2).host(241));
    // Full; a newcomer from .242 sheds a1, the oldest that never spoke.
    const b1 = await from(testNet('receivers/lockout', 2).host(242));
    expect((await a1.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    // .241 comes straight back: it may only shed its own a2, never the sender or b1 ...
    const a3 = await from(testNet('receivers/lockout', 2).host(241));
    expect((await a2.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    // ... and with none of its own to shed (a3 is inside a mail transaction), it is refused.
    expect((await a3.command('EHLO a3.example')).code).toBe(250);
    expect((await a3.command('MAIL FROM:<a@a3.example>')).code).toBe(250);
    const a4 = await openRawFrom(member.address, member.port, testNet('receivers/lockout', 2).host(241));
    expect((await a4.reply()).code).toBe(421);
    expect((await sender.command('NOOP')).code).toBe(250);
    expect((await b1.command('NOOP')).code).toBe(250);
    for (const client of [sender, a1, a2, a3, b1, a4]) client.destroy();
  });
});
