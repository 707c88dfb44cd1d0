import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Which sessions a full profile never sheds, and which it may after all: a session in its
 * first moments (the sender under test, before it could speak) is safe; one that began a mail
 * transaction and then went silent is not (a holder that sends MAIL FROM and trickles NOOPs
 * would otherwise keep its place for the whole session lifetime).
 */
let fleet: TestFleet;
const GRACE = 1_500;
const TRANSACTION_IDLE = 400;
beforeAll(async () => {
  fleet = await startTestFleet({
    addressBase: testNet('receivers/shed-policy').base,
    profiles: ['no-starttls'],
    limits: { maxConnections: 2, shedGraceMs: GRACE, transactionIdleShedMs: TRANSACTION_IDLE, commandTimeoutMs: 60_000 },
  });
});
afterAll(async () => {
  await fleet?.stop();
});

async function open(): Promise<RawSmtpClient> {
  const member = fleet.member('no-starttls');
  return RawSmtpClient.open(member.address, member.port);
}

describe('shedding spares the young and the busy, not the silent', () => {
  it('a session younger than the grace is never shed: with every session that young, the newcomer is the one refused', async () => {
    const a = await open();
    expect((await a.reply()).code).toBe(220);
    const b = await open();
    expect((await b.reply()).code).toBe(220);
    // Both within their grace: nobody may be shed, so the third is refused (421, as before shedding existed).
    const c = await open();
    expect((await c.reply()).code).toBe(421);
    await c.waitClosed();
    // Once they are older than the grace, a newcomer sheds one of them instead.
    await new Promise((resolve) => setTimeout(resolve, GRACE + 100));
    const d = await open();
    expect((await d.reply()).code).toBe(220);
    expect((await a.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    for (const client of [a, b, c, d]) client.destroy();
  });

  it('a session inside a mail transaction is shed once it has been silent in it for a while', async () => {
    // What the previous test left is closing; wait for a clean profile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const holder = await open();
    expect((await holder.reply()).code).toBe(220);
    expect((await holder.command('EHLO holder.example')).code).toBe(250);
    expect((await holder.command('MAIL FROM:<h@holder.example>')).code).toBe(250);
    const other = await open();
    expect((await other.reply()).code).toBe(220);
    await new Promise((resolve) => setTimeout(resolve, Math.max(GRACE, TRANSACTION_IDLE) + 100));
    expect((await other.command('EHLO other.example')).code).toBe(250);
    // Full. The holder said nothing since MAIL FROM for longer than the limit: it goes, though it began a transaction.
    const newcomer = await open();
    expect((await newcomer.reply()).code).toBe(220);
    expect((await holder.reply()).lines[0]).toMatch(/^421 4\.7\.0 /);
    for (const client of [holder, other, newcomer]) client.destroy();
  });
});
