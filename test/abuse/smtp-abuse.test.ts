import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { deliverProbe, malformedSessions, noopFlood } from './attacks.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The abuse suite, bounded to run in CI in well under a minute: malformed SMTP from many
 * addresses, STARTTLS command injection, relay attempts, cut-off messages. The fleet must
 * neither crash nor relay, keep its log bounded, and still take a sender's probe afterwards.
 * `npm run soak` runs the same attacks for longer and reports figures.
 */
let fleet: TestFleet;
const SOURCES = Array.from({ length: 20 }, (_, i) => testNet('abuse/smtp-abuse', 1).host(i + 10));

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('abuse/smtp-abuse').base, profiles: ['no-starttls', 'tls1.2'] });
});
afterAll(async () => {
  await fleet.stop();
});

describe('abuse: malformed and hostile SMTP', () => {
  it('1,500 malformed sessions from 20 addresses: no crash, no relay, and a probe is still delivered', async () => {
    const target = { address: fleet.member('tls1.2').address, port: fleet.member('tls1.2').port };
    const stats = await malformedSessions(target, 1_500, { concurrency: 30, localAddresses: SOURCES });
    expect(stats.sessions).toBe(1_500);
    const events = fleet.events();
    // Nothing was relayed: no message was accepted for a domain other than the profile's own.
    const relayed = events.filter((e) => e.type === 'data' && e.accepted && e.rcptTo.some((r) => !r.toLowerCase().endsWith('@tls1.2.badmx.test') && r.toLowerCase() !== 'postmaster'));
    expect(relayed).toEqual([]);
    // The injected commands after STARTTLS were never acted on as part of a TLS session.
    expect(events.some((e) => e.type === 'mail-from' && e.address === 'injected@evil.example' && events.some((t) => t.type === 'tls' && t.conn === e.conn))).toBe(false);
    const ms = await deliverProbe({ ...target, hostname: fleet.member('tls1.2').hostname, from: 'probe@probes.badmx.test', to: 'after@tls1.2.badmx.test' });
    expect(ms).toBeLessThan(30_000);
  }, 120_000);

  it('loops of evidence (EHLO; RSET, MAIL, RCPT) are bounded too: past the limit they are counted, not written', async () => {
    const target = { address: fleet.member('no-starttls').address, port: fleet.member('no-starttls').port };
    for (const lines of ['EHLO loop.example\r\n', 'RSET\r\nMAIL FROM:<l@loop.example>\r\nRCPT TO:<postmaster>\r\n']) {
      const before = statSync(fleet.eventsFile).size;
      const sent = await noopFlood(target, 20_000, 30_000, lines);
      const grown = statSync(fleet.eventsFile).size - before;
      expect(grown, lines).toBeLessThan(sent);
    }
    const byConn = new Map<string, number>();
    for (const e of fleet.events()) if (e.type === 'helo' || e.type === 'rcpt-to') byConn.set(`${e.conn} ${e.type}`, (byConn.get(`${e.conn} ${e.type}`) ?? 0) + 1);
    expect(Math.max(...byConn.values())).toBeLessThanOrEqual(200);
  }, 120_000);

  it('a NOOP flood: the fleet answers, stays up, and its log grows by a bounded amount per byte received', async () => {
    const target = { address: fleet.member('no-starttls').address, port: fleet.member('no-starttls').port };
    const before = statSync(fleet.eventsFile).size;
    const sent = await noopFlood(target, 50_000);
    const grown = statSync(fleet.eventsFile).size - before;
    expect(sent).toBeGreaterThan(0);
    // Recorded, not amplified: the log may not grow by more than the bytes the attacker sent.
    expect(grown).toBeLessThan(sent);
    await deliverProbe({ ...target, hostname: fleet.member('no-starttls').hostname, from: 'probe@probes.badmx.test', to: 'after@no-starttls.badmx.test' });
  }, 120_000);
});
