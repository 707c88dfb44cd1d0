import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BIN, ensureBuilt } from '../helpers/cli.js';

/**
 * The CLI as a user meets it (a process, real files in a temp directory) fed input that is
 * hostile or merely odd: whatever comes in, badmx answers in one line, never with a stack
 * trace, and never reads more of a file than its limit. Loopback only. The built bin, as a
 * user runs it: what is tested here is the process (its memory, its pipes, its exit).
 */
ensureBuilt();
const certsDir = inject('certsDir');
const dir = mkdtempSync(join(tmpdir(), 'badmx-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stack frame as Node prints one: "    at fn (file:line:col)". */
const STACK_LINE = /^\s+at /m;
const SECRET = 'Zx9-hostile-input-S3cret-q4';

function badmx(args: string[], env: NodeJS.ProcessEnv = {}) {
  return execa('node', [BIN, ...args], { reject: false, timeout: 60_000, env, extendEnv: true });
}

/** `badmx` through `sh -c`, for pipelines; `$BADMX` is the command, and the shell's own stderr is in the result. */
function shell(script: string, env: NodeJS.ProcessEnv = {}) {
  return execa('sh', ['-c', script], { reject: false, timeout: 90_000, env: { ...env, BADMX: `node ${BIN}` }, extendEnv: true });
}

function write(name: string, content: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** One line on stderr, "badmx: ..." and nothing else: no stack trace, no second line. */
function expectOneLine(result: Result, message: RegExp): void {
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(String(result.stderr).split('\n')).toEqual([expect.stringMatching(message)]);
}

/**
 * Run badmx and kill it if its memory passes `maxRssMiB`: a process reading /dev/zero to the
 * end grows by gigabytes a second, and the test should fail, not take the machine with it.
 */
async function badmxWatched(args: string[], maxRssMiB = 768): Promise<{ result: Result; peakMiB: number; killed: boolean }> {
  const child = badmx(args);
  let peakMiB = 0;
  let killed = false;
  const timer = setInterval(() => {
    try {
      const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      peakMiB = Math.max(peakMiB, rss);
      if (rss > maxRssMiB) {
        killed = true;
        child.kill('SIGKILL');
      }
    } catch {
      // gone already
    }
  }, 20);
  try {
    return { result: await child, peakMiB, killed };
  } finally {
    clearInterval(timer);
  }
}

describe('files a user gives badmx are bounded', () => {
  it('run --config whose certificate is /dev/zero: one line, at once, without reading it', async () => {
    const config = write(
      'zero-cert.json',
      JSON.stringify({
        zone: 'badmx.example.com',
        listen: { addresses: ['127.0.0.1'] },
        dns: { mode: 'external', nameServer: 'ns1.example.net' },
        certificate: { cert: '/dev/zero', key: '/dev/zero' },
        dataDir: join(dir, 'data'),
      }),
    );
    const { result, killed } = await badmxWatched(['run', '--config', config, '--sender', 'builtin:strict']);
    expect(killed, 'badmx grew past 768 MiB reading /dev/zero').toBe(false);
    expect(result.exitCode).toBe(2);
    expectOneLine(result, /^badmx: certificate \/dev\/zero: cannot read it \(is a character device, not a regular file\)$/);
  });

  it('--cert and --key name the file and the limit when they are too big', async () => {
    const big = write('big.pem', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(2 * 1024 * 1024)}\n-----END CERTIFICATE-----\n`);
    const result = await badmx(['run', '--cert', big, '--key', big, '--sender', 'builtin:strict', '--certs', certsDir]);
    expect(result.exitCode).toBe(2);
    expectOneLine(result, new RegExp(`^badmx: certificate ${big.replaceAll('.', '\\.')}: cannot read it \\(larger than the 1 MiB limit\\)$`));
  });

  it('zone --config: too big, a FIFO with no writer (no hang), /dev/zero', async () => {
    const big = write('big.json', `{"zone":"${'a'.repeat(1024 * 1024)}"}`);
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [file, why] of [
      [big, 'larger than the 1 MiB limit'],
      [fifo, 'is a FIFO, not a regular file'],
      ['/dev/zero', 'is a character device, not a regular file'],
    ] as const) {
      const result = await badmx(['zone', '--config', file]);
      expect(result.exitCode).toBe(2);
      expectOneLine(result, new RegExp(`^badmx: ${file.replaceAll('.', '\\.')}: cannot read it \\(${why}\\)$`));
    }
  }, 120_000);

  it('--policy, --receivers, report and status: each file bounded, one line naming it', async () => {
    const bigPolicy = write('big-policy.json', `{"name":"${'x'.repeat(1024 * 1024)}"}`);
    write('receivers/big.json', `{"name":"${'x'.repeat(256 * 1024)}"}`);
    const runFifo = join(dir, 'run-fifo');
    mkdirSync(runFifo);
    execFileSync('mkfifo', [join(runFifo, 'run.json')]);
    const statusFifo = join(dir, 'status-fifo');
    mkdirSync(statusFifo);
    execFileSync('mkfifo', [join(statusFifo, 'run-state.jsonl')]);
    for (const [args, message] of [
      [['run', '--policy', bigPolicy, '--sender', 'builtin:strict', '--certs', certsDir], /^badmx: policy .*big-policy\.json: cannot read it \(larger than the 1 MiB limit\)$/],
      [['run', '--receivers', join(dir, 'receivers'), '--sender', 'builtin:strict', '--certs', certsDir], /^badmx: .*receivers\/big\.json: cannot read it \(larger than the 256 KiB limit\)$/],
      [['report', runFifo], /^badmx: .*run-fifo\/run\.json: cannot read it \(is a FIFO, not a regular file\)$/],
      [['report', '/dev/zero'], /^badmx: \/dev\/zero: cannot read it \(is a character device, not a regular file\)$/],
      [['status', statusFifo], /^badmx: .*status-fifo\/run-state\.jsonl: cannot read the run journal \(is a FIFO, not a regular file\)$/],
    ] as const) {
      const result = await badmx([...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expectOneLine(result, message);
    }
  }, 120_000);
});

describe('no input prints a stack trace', () => {
  const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);

  it('a configuration of 100,000 nested arrays is one line: nested too deeply', async () => {
    const deep = write('deep.json', DEEP);
    for (const args of [['zone'], ['run', '--sender', 'builtin:strict']]) {
      const result = await badmx([...args, '--config', deep]);
      expect(result.exitCode).toBe(2);
      expectOneLine(result, /^badmx: .*deep\.json: JSON nested too deeply \(more than 64 levels at line 1, column 65\)$/);
    }
  }, 120_000);

  it('a deep policy, profile and run.json too', async () => {
    const policy = write('deep-policy.json', DEEP);
    write('deep-receivers/deep.json', `{"name":${DEEP}}`);
    const run = write('deep-run/run.json', `{"schemaVersion":2,"cells":${DEEP}}`);
    for (const [args, message] of [
      [['run', '--policy', policy, '--sender', 'builtin:strict', '--certs', certsDir], /^badmx: policy .*deep-policy\.json: JSON nested too deeply/],
      [['run', '--receivers', join(dir, 'deep-receivers'), '--sender', 'builtin:strict', '--certs', certsDir], /^badmx: .*deep\.json: JSON nested too deeply/],
      [['report', run], /^badmx: .*deep-run\/run\.json: JSON nested too deeply/],
    ] as const) {
      const result = await badmx([...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expectOneLine(result, message);
    }
  }, 120_000);

  it('an error badmx did not expect is one line; BADMX_DEBUG=1 adds the stack', async () => {
    // A journal whose plan is not what badmx writes: nothing checks its shape, so something deep inside trips on it.
    const run = join(dir, 'damaged-plan');
    write('damaged-plan/run-state.jsonl', `${JSON.stringify({ type: 'plan', at: '2025-01-01T00:00:00Z', plan: { runId: 'x', profiles: 'not a list', senders: 7 } })}\n`);
    const result = await badmx(['status', run]);
    expect(result.exitCode).toBe(2);
    expectOneLine(result, /^badmx: unexpected error: TypeError: .* \(BADMX_DEBUG=1 shows where\)$/);
    const debug = await badmx(['status', run], { BADMX_DEBUG: '1' });
    expect(debug.exitCode).toBe(2);
    expect(debug.stderr).toMatch(/^badmx: unexpected error: TypeError: /);
    expect(debug.stderr).toMatch(STACK_LINE);
  }, 120_000);
});

describe('a secret in a sender spec is never echoed', () => {
  it.each([
    [`smtp:127.0.0.1:2525?password=${SECRET}`, /^badmx: sender "smtp:127\.0\.0\.1:2525\?password=\*\*\*": never put a password in a spec; use password-env=VAR$/],
    [`smtp://probe:${SECRET}@127.0.0.1:2525`, /^badmx: sender "smtp:\/\/\*\*\*@127\.0\.0\.1:2525": never put credentials in a spec/],
    [`smtp:127.0.0.1:2525?passwd=${SECRET}`, /^badmx: sender "smtp:127\.0\.0\.1:2525\?passwd=\*\*\*": unknown option "passwd"/],
    [`smtp:127.0.0.1:2525?user=probe&password-env=${SECRET}`, /password-env must name an environment variable/],
    [`smtps:127.0.0.1?password=${SECRET}`, /^badmx: unknown sender "smtps:127\.0\.0\.1\?password=\*\*\*"/],
  ])('%s', async (spec, message) => {
    const out = join(dir, 'secret-run');
    const result = await badmx(['run', '--sender', spec, '--out', out, '--certs', certsDir]);
    expect(result.exitCode).toBe(2);
    expectOneLine(result, message);
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET.slice(4));
  });
});

describe('a closed pipe ends badmx quietly (exit 141, like SIGPIPE)', () => {
  let demo: Result;
  const out = join(dir, 'demo-run');

  beforeAll(async () => {
    // The matrix fits the pipe; the report paths printed after it meet a reader that is gone.
    demo = await shell(`exec 3>&2; ($BADMX demo --port-range 26501 --wait 2s --certs '${certsDir}' --out '${out}'; echo "badmx-exit=$?" >&3) | head -1`);
  }, 120_000);

  it('badmx demo | head -1', () => {
    expect(demo.stdout).toMatch(/^badmx run \S+, policy strict/);
    expect(demo.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(demo.stderr).not.toMatch(STACK_LINE);
    expect(demo.stderr).toMatch(/^badmx-exit=141$/m);
  });

  it('badmx status --json | head -c 200', async () => {
    const result = await shell(`exec 3>&2; ($BADMX status --json '${out}'; echo "badmx-exit=$?" >&3) | head -c 200`);
    expect(result.stdout).toHaveLength(200);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).toMatch(/^badmx-exit=141$/m);
  });

  it('a closed pipe on stderr (progress) ends it the same way', async () => {
    const stderrOut = join(dir, 'demo-stderr');
    const result = await shell(`exec 3>&2; ($BADMX demo --port-range 26521 --wait 2s --certs '${certsDir}' --out '${stderrOut}' 2>&1 >/dev/null; echo "badmx-exit=$?" >&3) | head -1`);
    expect(result.stdout).toMatch(/^badmx: /);
    expect(result.stderr).toMatch(/^badmx-exit=141$/m);
    // It stopped in order, as on Ctrl-C: the fleet shut down and what was recorded is written.
    expect(existsSync(join(stderrOut, 'run.json'))).toBe(true);
  }, 120_000);
});
