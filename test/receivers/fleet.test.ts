import { describe, expect, it } from 'vitest';
import { readEventLog } from '../../src/recorder/event-log.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

describe('fleet', () => {
  it('each profile listens on its own address with its own name; stop() records the close of open connections', async () => {
    const fleet = await startTestFleet({ addressBase: testNet('receivers/fleet').base, profiles: ['tls1.2', 'expired'] });
    expect(fleet.members.map((m) => [m.name, m.address, m.hostname, m.domain])).toEqual([
      ['tls1.2', testNet('receivers/fleet').host(6), 'mx.tls1.2.badmx.test', 'tls1.2.badmx.test'],
      ['expired', testNet('receivers/fleet').host(9), 'mx.expired.badmx.test', 'expired.badmx.test'],
    ]);
    const client = await RawSmtpClient.open(fleet.member('expired').address, fleet.member('expired').port);
    await client.reply();
    await client.command('EHLO lingering.client');
    await fleet.stop();
    const { events } = readEventLog(fleet.eventsFile);
    const conn = events.find((e) => e.type === 'helo' && e.name === 'lingering.client')?.conn;
    expect(events.some((e) => e.type === 'close' && e.conn === conn)).toBe(true);
    await client.waitClosed();
  });
});
