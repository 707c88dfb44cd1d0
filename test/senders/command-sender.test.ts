import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProbe, probeMessage } from '../../src/probes/probe.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';

const probe = makeProbe('cmdtest', 1, 'command', 'tls1.2', 'badmx.test');
const target = { profile: 'tls1.2', hostname: 'mx.tls1.2.badmx.test', domain: 'tls1.2.badmx.test', address: '127.0.2.6', port: 25, caFile: '/dev/null' };

describe('command: sender', () => {
  it('gives the message on stdin and the envelope in the environment; exit 0 is accepted, not final', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-cmd-'));
    const sender = parseSenderSpec(`command:sh -c 'cat > ${dir}/msg; echo "$BADMX_PROBE_RECIPIENT $BADMX_PROBE_FROM" > ${dir}/env'`);
    await sender.check();
    const result = await sender.send(probe, probeMessage(probe), target);
    expect(result).toMatchObject({ accepted: true, final: false });
    expect(readFileSync(join(dir, 'msg'), 'utf8')).toContain(`Message-ID: ${probe.messageId}`);
    expect(readFileSync(join(dir, 'env'), 'utf8').trim()).toBe(`${probe.recipient} ${probe.from}`);
  });

  it('a command that exits non-zero is a final refusal, with its exit code and first stderr line', async () => {
    const sender = parseSenderSpec(`command:sh -c 'echo "sendmail: fatal: no such user" >&2; exit 75'`);
    expect(await sender.send(probe, probeMessage(probe), target)).toEqual({
      accepted: false,
      final: true,
      detail: 'command exited 75: sendmail: fatal: no such user',
      // sysexits.h EX_TEMPFAIL: the run retries it, as it does a 4xx.
      failure: { kind: 'temporary', code: null },
    });
  });

  it('a program that does not exist fails the check, before any probe', async () => {
    await expect(parseSenderSpec('command:/nonexistent/sendmail -t').check()).rejects.toThrow(
      'command:/nonexistent/sendmail -t: "/nonexistent/sendmail" is not an executable file',
    );
    await expect(parseSenderSpec('command:no-such-program-badmx').check()).rejects.toThrow(/is not an executable file on PATH/);
  });
});
