import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Probe } from '../../src/probes/probe.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';

const PASSWORD = 'Echo-Me-N0t_7f3a9c';
const USER = 'probe-user';
const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** The AUTH mechanism the relay offers (nodemailer uses what is offered). */
let advertised = 'PLAIN';

/**
 * A relay (loopback only) that refuses every AUTH by quoting back what it was sent, encoded
 * and decoded: the worst a relay's error reply can do with the credentials.
 */
function startEchoingRelay(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let login: string[] | null = null;
    socket.write('220 echo.test ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let newline: number;
      while ((newline = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 2);
        const decoded = (token: string): string => Buffer.from(token, 'base64').toString('utf8').replaceAll('\0', ':');
        if (login) {
          login.push(line);
          if (login.length === 1) socket.write('334 UGFzc3dvcmQ6\r\n');
          else {
            socket.write(`535 5.7.8 rejected ${login.join(' ')} (${login.map(decoded).join(' ')}) password ${PASSWORD}\r\n`);
            login = null;
          }
          continue;
        }
        const [verb = '', ...args] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'EHLO':
            socket.write(`250-echo.test\r\n250 AUTH ${advertised}\r\n`);
            break;
          case 'AUTH':
            if (args[0]?.toUpperCase() === 'PLAIN' && args[1]) socket.write(`535 5.7.8 rejected ${args[1]} (${decoded(args[1])})\r\n`);
            else if (args[0]?.toUpperCase() === 'PLAIN') socket.write('334 \r\n');
            else {
              login = [];
              socket.write('334 VXNlcm5hbWU6\r\n');
            }
            break;
          case 'QUIT':
            socket.end('221 bye\r\n');
            break;
          default:
            // AUTH PLAIN sent as a continuation line
            if (/^[A-Za-z0-9+/=]+$/.test(line)) socket.write(`535 5.7.8 rejected ${line} (${decoded(line)})\r\n`);
            else socket.write('250 ok\r\n');
        }
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

let relay: { server: Server; port: number };
beforeAll(async () => {
  relay = await startEchoingRelay();
  process.env.BADMX_TEST_ECHO_PASSWORD = PASSWORD;
});
afterAll(async () => {
  delete process.env.BADMX_TEST_ECHO_PASSWORD;
  await new Promise((resolve) => relay.server.close(resolve));
});

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(b64(PASSWORD).replace(/=+$/, ''));
  expect(text).not.toContain(b64(`\0${USER}\0${PASSWORD}`).replace(/=+$/, ''));
}

describe('smtp: a relay that quotes the credentials back', () => {
  const probe = { id: 'p1', from: 'probe@probes.badmx.test', recipient: 'x@tls1.2.badmx.test' } as Probe;

  it.each(['PLAIN', 'LOGIN'])('AUTH %s: neither the check nor a submission repeats the password, as is or base64', async (mechanism) => {
    advertised = mechanism;
    const sender = parseSenderSpec(`smtp:127.0.0.1:${relay.port}?tls=opportunistic&user=${USER}&password-env=BADMX_TEST_ECHO_PASSWORD`);
    try {
      const checked = await sender.check().then(
        () => null,
        (error: unknown) => error as Error,
      );
      expect(checked?.name).toBe('SenderError');
      expect(checked?.message).toMatch(/refused AUTH for user "probe-user": 535 5\.7\.8 rejected .*\*\*\*/);
      expectNoSecret(checked?.message ?? '');
      const result = await sender.send(probe, 'Subject: x\r\n\r\nx\r\n', { recipient: probe.recipient } as never);
      expect(result.accepted).toBe(false);
      expect(result.detail).toMatch(/535 5\.7\.8 rejected .*\*\*\*/);
      expectNoSecret(result.detail);
    } finally {
      await sender.close();
    }
  });
});
