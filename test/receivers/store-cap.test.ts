import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/store-cap').base, profiles: ['no-starttls'], limits: { maxStoredMessageBytes: 4_000 } });
});
afterAll(async () => {
  await fleet.stop();
});

async function send(n: number): Promise<void> {
  const member = fleet.member('no-starttls');
  const transport = nodemailer.createTransport({ host: member.address, port: member.port, ignoreTLS: true, name: 'cap-test.invalid' });
  try {
    await transport.sendMail({ envelope: { from: 'x@probes.badmx.test', to: [`m${n}@no-starttls.badmx.test`] }, raw: `Subject: ${n}\r\nMessage-ID: <cap-${n}@t>\r\n\r\n${'x'.repeat(1_500)}\r\n` });
  } finally {
    transport.close();
  }
}

describe('the message store has a cap, so a run directory cannot grow without bound', () => {
  it('past it, messages are still accepted and recorded, not kept, and one store-full event says so', async () => {
    for (let n = 1; n <= 4; n++) await send(n);
    const data = fleet.events().filter((e) => e.type === 'data');
    expect(data.map((e) => e.type === 'data' && e.accepted)).toEqual([true, true, true, true]);
    const files = data.map((e) => (e.type === 'data' ? e.file : null));
    expect(files.slice(0, 2).every((f) => f !== null && existsSync(join(fleet.eventsFile, '..', f)))).toBe(true);
    expect(files.slice(2)).toEqual([null, null]);
    expect(fleet.events().filter((e) => e.type === 'store-full')).toEqual([expect.objectContaining({ maxBytes: 4_000 }) as unknown]);
  });
});
