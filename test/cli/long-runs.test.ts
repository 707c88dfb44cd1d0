import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { CliClock, CliIo } from '../../src/cli/cli-io.js';
import { listenHint } from '../../src/cli/listen-hint.js';
import { main } from '../../src/cli/main.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { testNet } from '../helpers/net-plan.js';

const certsDir = inject('certsDir');
const T0 = Date.parse('2026-05-01T09:00:00.000Z');

/**
 * main(argv, io) with a clock of the test's: `now` is fixed unless moved, and the heartbeat
 * (or redraw) timer is not run by time but by `tick()`, when the test says.
 */
async function badmx(args: string[], options: { now?: () => number; onStderr?: (text: string, tick: () => void) => void } = {}) {
  let stdout = '';
  let stderr = '';
  const timers: (() => void)[] = [];
  const tick = (): void => {
    for (const fn of timers) fn();
  };
  const clock: CliClock = {
    now: options.now ?? (() => T0),
    every(_ms, fn) {
      timers.push(fn);
      return () => timers.splice(timers.indexOf(fn), 1);
    },
  };
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: {
      write: (text: string) => {
        stderr += text;
        options.onStderr?.(text, tick);
        return true;
      },
    },
    stdin: Object.assign(Readable.from([]), { isTTY: false }),
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    clock,
  };
  const exitCode = await main(['node', 'badmx', ...args, ...(args[0] === 'status' ? [] : ['--certs', certsDir])], io);
  return { exitCode, stdout, stderr, timersLeft: timers.length };
}

const blockers: Server[] = [];
async function occupy(address: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, address, resolve));
  blockers.push(server);
}
afterEach(async () => {
  await Promise.all(blockers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('long runs and the terminal', () => {
  it('run: progress says each sender\'s deadline, a heartbeat says elapsed time and settled/total; status says the same after', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-progress-'));
    let beat = false;
    const result = await badmx(['run', '--sender', 'builtin:strict', '--sender', 'builtin:opportunistic', '--profile', 'tls1.2', 'expired', '--address-base', testNet('cli/long-runs').base, '--port', '24011', '--wait', '90s', '--out', out], {
      onStderr: (text, tick) => {
        // The heartbeat, as the minute timer would fire it while the senders are out.
        if (!beat && text.includes('sending')) {
          beat = true;
          tick();
        }
      },
    });
    expect(result.exitCode).toBe(1);
    expect(result.timersLeft).toBe(0);
    expect(result.stderr).toContain('badmx: builtin:strict: sending 2 probes, deadline 09:01:30Z\n');
    expect(result.stderr).toMatch(/^badmx: still running: 0s elapsed; builtin:strict 0\/2 settled, deadline 09:01:30Z \(in 1m30s\)$/m);
    expect(result.stderr).toMatch(/^badmx: builtin:opportunistic: 2\/2 settled$/m);

    const later = T0 + 3_600_000;
    const done = await badmx(['status', out], { now: () => later });
    expect(done.exitCode).toBe(0);
    expect(done.stdout.split('\n')[1]).toMatch(/^took \d+s; builtin:strict 2\/2 settled; builtin:opportunistic 2\/2 settled$/);

    // The same run as if it had died in its step: the step's deadline, and the time elapsed.
    const journal = join(out, 'run-state.jsonl');
    const records = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; at: string; plan?: { startedAt: string } });
    writeFileSync(journal, `${records.filter((r) => r.type !== 'step-end').map((r) => JSON.stringify(r)).join('\n')}\n`);
    const stepStart = Date.parse(records.find((r) => r.type === 'step-start')!.at);
    const startedAt = Date.parse(records.find((r) => r.type === 'plan')!.plan!.startedAt);
    const cut = await badmx(['status', out], { now: () => stepStart + 30_000 });
    const deadline = new Date(stepStart + 90_000).toISOString().slice(11, 19);
    expect(cut.stdout.split('\n')[0]).toContain('not running: interrupted');
    expect(cut.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${Math.round((stepStart + 30_000 - startedAt) / 1000)}s elapsed; builtin:strict \\d/2 settled, deadline ${deadline}Z \\(in 1m00s\\); builtin:opportunistic \\d/2 settled, deadline ${deadline}Z \\(in 1m00s\\)$`),
    );
  });

  it('--quiet: no progress on stderr; the matrix and the paths of what was written on stdout', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-quiet-'));
    const result = await badmx(['run', '--quiet', '--sender', 'builtin:strict', '--profile', 'tls1.2', '--address-base', testNet('cli/long-runs').base, '--port', '24021', '--format', 'json,md', '--out', out], {
      onStderr: (_text, tick) => tick(),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 pass, 0 fail');
    expect(result.stdout).toContain(`json: ${join(out, 'run.json')}`);
    expect(result.stdout).toContain(`md: ${join(out, 'report.md')}`);
  });

  it('demo --wait is honoured as given (60s is not 15 s); without it, 15 s', async () => {
    const given = mkdtempSync(join(tmpdir(), 'badmx-demo-'));
    expect((await badmx(['demo', '--quiet', '--wait', '60s', '--profile', 'tls1.2', '--address-base', testNet('cli/long-runs').base, '--port', '24031', '--format', 'json', '--out', given])).exitCode).toBe(0);
    expect((JSON.parse(readFileSync(join(given, 'run.json'), 'utf8')) as RunDocument).run.waitMs).toBe(60_000);
    const defaulted = mkdtempSync(join(tmpdir(), 'badmx-demo-'));
    expect((await badmx(['demo', '--quiet', '--profile', 'tls1.2', '--address-base', testNet('cli/long-runs').base, '--port', '24032', '--format', 'json', '--out', defaulted])).exitCode).toBe(0);
    expect((JSON.parse(readFileSync(join(defaulted, 'run.json'), 'utf8')) as RunDocument).run.waitMs).toBe(15_000);
  });

  it('an address in use says which, and the flag that moves the receivers (serve and run)', async () => {
    await occupy(testNet('cli/long-runs').host(1), 24041);
    const serve = await badmx(['serve', '--profile', 'no-starttls', '--address-base', testNet('cli/long-runs').base, '--port', '24041', '--events', join(mkdtempSync(join(tmpdir(), 'badmx-')), 'e.jsonl')]);
    expect(serve.exitCode).toBe(2);
    expect(serve.stderr).toMatch(
      /^badmx: profile no-starttls cannot listen on 127\.0\.215\.1:24041: EADDRINUSE: something else already listens on 127\.0\.215\.1:24041 \(.*\): stop it, or move the receivers with --port <port> \(e\.g\. --port 2525\), --address-base <ip> or --port-range <first> .*\n$/,
    );
    await occupy(testNet('cli/long-runs').host(6), 24042);
    const run = await badmx(['run', '--sender', 'builtin:strict', '--profile', 'tls1.2', '--address-base', testNet('cli/long-runs').base, '--port', '24042', '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^badmx: profile tls1\.2 cannot listen on 127\.0\.215\.6:24042: EADDRINUSE: something else already listens on 127\.0\.215\.6:24042 .*--shared-address <ip>/);
  });

  it('an address the machine does not have says so, and what to do', async () => {
    const serve = await badmx(['serve', '--profile', 'no-starttls', '--address-base', '192.0.2.0', '--port', '24051', '--events', join(mkdtempSync(join(tmpdir(), 'badmx-')), 'e.jsonl')]);
    expect(serve.exitCode).toBe(2);
    expect(serve.stderr).toMatch(
      /^badmx: profile no-starttls cannot listen on 192\.0\.2\.1:24051: EADDRNOTAVAIL: 192\.0\.2\.1 is not an address of this machine, .*127\.0\.0\.0\/8 is loopback.*network namespace.*--address-base <ip>.*\n$/,
    );
    expect(serve.stderr.split('\n')).toHaveLength(2);
  });

  it('the harness DNS, the shared address: their own flags', () => {
    expect(listenHint('the harness DNS server cannot listen on 127.0.2.253:53: something already listens there', 'run')).toMatch(/127\.0\.2\.253:53 .*--dns <ip>$/);
    expect(listenHint('the harness DNS server cannot listen on 10.9.9.9:53: that address is not on this machine', 'serve')).toMatch(/^10\.9\.9\.9 is not an address of this machine.*--dns <ip>$/);
    expect(listenHint('the shared address ::1:2525 cannot be listened on: EADDRINUSE', 'run')).toMatch(/::1:2525 .*--shared-address <ip> or --port <port>$/);
    expect(listenHint('profile x cannot listen on 127.0.0.1:25: EACCES (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port 2525)', 'run')).toBeNull();
  });
});
