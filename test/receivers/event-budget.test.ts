import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiverEvent, SuppressedEvent } from '../../src/recorder/events.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { connectionByPeerPort, startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { openRawFrom } from './holding-clients.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Event budgets on real sessions: past them, commands and replies are counted in
 * `suppressed` events instead of written one by one, and the evidence is all still there.
 * Listeners on 127.0.146.0/24 and 127.0.147.0/24; peers from 127.0.148.x (test/helpers/net-plan.ts).
 */

async function session(fleet: TestFleet, localAddress?: string): Promise<RawSmtpClient> {
  const member = fleet.member('tls1.2');
  const client = localAddress ? await openRawFrom(member.address, member.port, localAddress) : await RawSmtpClient.open(member.address, member.port);
  expect((await client.reply()).code).toBe(220);
  return client;
}

async function closedEvents(fleet: TestFleet, client: RawSmtpClient): Promise<ReceiverEvent[]> {
  const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
  await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
  return fleet.events().filter((e) => e.conn === conn);
}

describe('per-session event budget', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({ addressBase: testNet('receivers/event-budget').base, profiles: ['tls1.2'], limits: { maxRoutineEventsPerSession: 100 } });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('20,000 pipelined NOOPs: 100 routine events, one summary with the counts, and every piece of evidence', async () => {
    const member = fleet.member('tls1.2');
    const before = statSync(fleet.eventsFile).size;
    const client = await session(fleet);
    expect((await client.command('EHLO flood.example')).code).toBe(250);
    const noops = 'NOOP\r\n'.repeat(20_000);
    client.write(noops);
    for (let i = 0; i < 20_000; i++) await client.reply();
    // And then a real transaction: its evidence must be there whatever the budget.
    expect((await client.command('MAIL FROM:<a@flood.example>')).code).toBe(250);
    expect((await client.command(`RCPT TO:<probe@${member.domain}>`)).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    expect((await client.command('Message-ID: <after-flood@flood.example>\r\n\r\nbody\r\n.')).code).toBe(250);
    expect((await client.command('QUIT')).code).toBe(221);
    const events = await closedEvents(fleet, client);
    const grown = statSync(fleet.eventsFile).size - before;

    const routine = events.filter((e) => e.type === 'command' || e.type === 'reply');
    expect(routine).toHaveLength(100);
    const summaries = events.filter((e): e is SuppressedEvent => e.type === 'suppressed');
    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(summary).toMatchObject({ reason: 'session', final: true });
    // 20,005 commands (EHLO, the NOOPs, MAIL, RCPT, DATA, QUIT) and 20,007 replies (those, the greeting, the 250 after
    // the message) in all: 100 written, the rest counted.
    expect(summary.commands + summary.replies + routine.length).toBe(20_005 + 20_007);
    expect(summary.verbs.NOOP).toBeGreaterThan(19_900);
    expect(summary.verbs).toMatchObject({ MAIL: 1, RCPT: 1, DATA: 1, QUIT: 1 });
    expect(summary.codes['250']).toBeGreaterThan(19_900);
    const types = events.map((e) => e.type);
    for (const evidence of ['connect', 'helo', 'mail-from', 'rcpt-to', 'data', 'close']) expect(types).toContain(evidence);
    expect(types.slice(-2)).toEqual(['suppressed', 'close']);
    // 120 KB of commands sent; the log grew by a small fraction of that (it was 2.7 MB before budgets).
    expect(grown).toBeLessThan(noops.length / 4);
  }, 60_000);

  it('a session within its budget writes every command and reply, and no summary', async () => {
    const client = await session(fleet);
    for (const line of ['EHLO calm.example', 'NOOP', 'RSET', 'QUIT']) await client.command(line);
    const events = await closedEvents(fleet, client);
    expect(events.filter((e) => e.type === 'command').map((e) => e.type === 'command' && e.verb)).toEqual(['EHLO', 'NOOP', 'RSET', 'QUIT']);
    expect(events.some((e) => e.type === 'suppressed')).toBe(false);
  });
});

describe('per-peer event budget', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({
      addressBase: testNet('receivers/event-budget', 1).base,
      profiles: ['tls1.2'],
      limits: { maxRoutineEventsPerPeerPerHour: 40, exemptLoopbackPeers: false },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  async function chatty(localAddress: string): Promise<ReceiverEvent[]> {
    const client = await session(fleet, localAddress);
    // greeting + 11 commands and their replies: 23 routine events
    for (const line of ['EHLO chatty.example', ...Array<string>(9).fill('NOOP'), 'QUIT']) await client.command(line);
    return closedEvents(fleet, client);
  }

  it('a peer spreading its commands over several connections runs out across them; another peer does not', async () => {
    const first = await chatty(testNet('receivers/event-budget', 2).host(201));
    expect(first.some((e) => e.type === 'suppressed')).toBe(false);
    const second = await chatty(testNet('receivers/event-budget', 2).host(201));
    // 40 - 23 = 17 left for the second connection: the rest is counted, as the peer's budget ran out.
    expect(second.filter((e) => e.type === 'command' || e.type === 'reply')).toHaveLength(17);
    expect(second.find((e) => e.type === 'suppressed')).toMatchObject({ reason: 'peer', final: true, commands: 3, replies: 3 });
    expect(second.map((e) => e.type)).toEqual(expect.arrayContaining(['connect', 'helo', 'close']));
    const third = await chatty(testNet('receivers/event-budget', 2).host(201));
    expect(third.filter((e) => e.type === 'command' || e.type === 'reply')).toHaveLength(0);
    expect(third.find((e) => e.type === 'suppressed')).toMatchObject({ reason: 'peer', commands: 11, replies: 12 });
    const other = await chatty(testNet('receivers/event-budget', 2).host(202));
    expect(other.some((e) => e.type === 'suppressed')).toBe(false);
  });
});
