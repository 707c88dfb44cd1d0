import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { BIN, ensureBuilt, runBin, runInProcess, type InProcessOptions } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

const certsDir = inject('certsDir');

/** The CLI in process (main(argv, io)); the tests of the process itself (Ctrl-C, --run-as) run the built bin. */
function badmx(args: string[], options: InProcessOptions = {}) {
  return runInProcess([...args, '--certs', certsDir], options);
}

describe('badmx demo and badmx run', () => {
  it('demo: both built-in senders, strict policy, the matrix on stdout, run.json written, exit 0 despite failing cells', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-demo-'));
    const result = await badmx(['demo', '--port-range', '20301', '--address', testNet('cli/run').host(1), '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/receiver\s+builtin:opportunistic\s+builtin:strict/);
    expect(result.stdout).toMatch(/no-starttls\s+FAIL PLAINTEXT\s+PASS refused \(no TLS\)/);
    expect(result.stdout).toMatch(/tls1\.3\s+PASS TLS 1\.3\s+PASS TLS 1\.3/);
    expect(result.stdout).toContain('16 pass, 12 fail');
    expect(result.stderr).toMatch(/builtin:strict: 14\/14 settled/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.summary.fail).toBe(12);
  });

  it('run exits 1 when any cell fails and 0 when every cell passes', async () => {
    const failing = await badmx(['run', '--sender', 'builtin:opportunistic', '--profile', 'tls1.3', 'expired', '--port-range', '20321', '--address', testNet('cli/run').host(1), '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(failing.exitCode).toBe(1);
    const passing = await badmx(['run', '--sender', 'builtin:strict', '--profile', 'tls1.3', 'expired', '--port-range', '20341', '--address', testNet('cli/run').host(1), '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(passing.exitCode).toBe(0);
    expect(passing.stdout).toContain('2 pass, 0 fail');
  });

  it('an unreachable relay is a run that could not complete (exit 4): one line, what was recorded is kept, and no cell passes', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve())); // now nothing listens there
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const result = await badmx(['run', '--sender', `smtp:127.0.0.1:${port}?tls=none`, '--port-range', '20361', '--address', testNet('cli/run').host(1), '--out', out]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim().split('\n').filter((l) => l.startsWith('badmx: ') && !/receivers ready|sending/.test(l))).toEqual([
      expect.stringMatching(new RegExp(`^badmx: cannot reach relay 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(recorded so far: .*run\\.json\\)$`)),
    ]);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.run).toMatchObject({ status: 'error' });
    expect(existsSync(join(out, 'events.jsonl'))).toBe(true);
    // Nothing was tested, so nothing passes, in run.json and every report rendered from it.
    expect(run.cells.length).toBe(14);
    expect(run.cells.every((c) => c.verdict === 'inconclusive' && c.inconclusive?.cause === 'not-submitted')).toBe(true);
    expect(run.summary).toMatchObject({ pass: 0, fail: 0, inconclusive: 14 });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('INCONCLUSIVE');
  });

  it('a run of misconfigured profiles only gets a control added, and says so', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const result = await badmx(['run', '--sender', 'builtin:strict', '--profile', 'expired', 'no-starttls', '--port-range', '20441', '--address', testNet('cli/run').host(1), '--out', out]);
    expect(result.stderr).toMatch(/^badmx: added the control profile tls1\.2: every sender must deliver to a control for its refusals to count$/m);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.cells.map((c) => [c.profile, c.verdict])).toEqual([
      ['no-starttls', 'pass'],
      ['tls1.2', 'pass'],
      ['expired', 'pass'],
    ]);
    expect(run.senders[0]?.diagnosis).toBeNull();
    expect(result.exitCode).toBe(0);
  });

  it('bad flags, an unknown sender and a malformed policy are one-line errors with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-'));
    writeFileSync(join(dir, 'policy.json'), '{"name":"x"}');
    for (const args of [
      ['run', '--sender', 'carrier-pigeon:1'],
      ['run'],
      ['run', '--sender', 'builtin:strict', '--wait', 'soon'],
      ['run', '--sender', 'builtin:strict', '--policy', join(dir, 'policy.json')],
      ['run', '--sender', 'builtin:strict', '--sender', 'builtin:strict'],
    ]) {
      const result = await badmx(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('senders that cannot deliver', () => {
  it('a relay that refuses AUTH stops the run before any probe, with a one-line error', async () => {
    const { SMTPServer } = await import('smtp-server');
    const relay = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (_auth, _session, callback) => callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 })),
    });
    await new Promise<void>((resolve) => relay.listen(20381, testNet('cli/run').host(2), resolve));
    try {
      const out = mkdtempSync(join(tmpdir(), 'badmx-'));
      const result = await badmx(['run', '--sender', `smtp:${testNet('cli/run').host(2)}:20381?user=probe-user&password-env=BADMX_TEST_RELAY_PASSWORD`, '--port-range', '20391', '--address', testNet('cli/run').host(1), '--out', out], {
        env: { BADMX_TEST_RELAY_PASSWORD: 'not-the-password' },
      });
      expect(result.exitCode).toBe(2);
      const errors = result.stderr.split('\n').filter((l) => /refused AUTH/.test(l));
      expect(errors).toEqual([expect.stringMatching(/^badmx: relay 127\.0\.62\.2:20381 refused AUTH for user "probe-user": .*535.*check the user and the password variable/)]);
      // the password is in no output and no file
      expect(result.stdout + result.stderr).not.toContain('not-the-password');
      expect(readFileSync(join(out, 'run.json'), 'utf8')).not.toContain('not-the-password');
    } finally {
      relay.close();
    }
  });

  it('a command that exits non-zero: one line naming the failure, cells say the sender did not accept and are inconclusive (exit 3)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const result = await badmx(['run', '--sender', `command:sh -c 'echo "relay: permission denied" >&2; exit 3'`, '--profile', 'tls1.2', 'tls1.3', '--port-range', '20401', '--address', testNet('cli/run').host(1), '--out', out]);
    expect(result.stderr).toMatch(/^badmx: command:sh .* did not accept the probe for tls1\.[23]: command exited 3: relay: permission denied$/m);
    expect(result.stderr).toMatch(/2 probe\(s\) not accepted by the sender/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.cells.map((c) => [c.outcome, c.settled, c.submission?.accepted, c.verdict, c.inconclusive?.cause])).toEqual([
      ['not-attempted', true, false, 'inconclusive', 'submission-refused'],
      ['not-attempted', true, false, 'inconclusive', 'submission-refused'],
    ]);
    // Nothing was tested: not a failure of the sender's TLS policy, and not a pass either.
    expect(result.exitCode).toBe(3);
  });

  it('Ctrl-C ends the wait: run.json is written with the cells marked unsettled, exit 130 (the built bin, a real SIGINT)', async () => {
    ensureBuilt();
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    // `true` accepts every probe and delivers none: the run would wait the whole 10 minutes
    const child = execa('node', [BIN, 'run', '--sender', 'command:true', '--profile', 'tls1.2', '--wait', '10m', '--certs', certsDir, '--port-range', '20421', '--address', testNet('cli/run').host(1), '--out', out], {
      reject: false,
      timeout: 60_000,
    });
    let stderr = '';
    let sent = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // One Ctrl-C (a second one means "quit at once")
      if (!sent && /sending 1 probes/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const result = await child;
    expect(result.exitCode).toBe(130);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.cells[0]).toMatchObject({ outcome: 'not-attempted', settled: false, submission: { accepted: true, final: false } });
    expect(run.summary.unsettled).toBe(1);
    expect(run.run.status).toBe('interrupted');
    expect(result.stdout).toMatch(/1 unsettled/);
    expect(result.stdout).toMatch(/run interrupted before its schedule was done: badmx run --resume/);
  });
});

describe('main(argv, io): the CLI in process', () => {
  it("the io's signal ends a run's wait as Ctrl-C does: exit 130, run.json written, and no listener is left on the process", async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const stop = new AbortController();
    // `true` accepts every probe and delivers none: the run would wait the whole 10 minutes
    const result = await badmx(['run', '--sender', 'command:true', '--profile', 'tls1.2', '--wait', '10m', '--port-range', '20481', '--address', testNet('cli/run').host(1), '--out', out], {
      signal: stop.signal,
      onStderr: (text) => {
        if (/sending 1 probes/.test(text)) stop.abort();
      },
    });
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/badmx: stopped; writing what was recorded/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.run.status).toBe('interrupted');
    expect(run.cells[0]).toMatchObject({ settled: false, verdict: 'inconclusive' });
    expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before);
  });
});

describe('badmx run --resume and badmx status: bad input', () => {
  it('--resume with --sender, a directory that holds no run, and status of nothing are one-line errors (exit 2)', async () => {
    const both = await badmx(['run', '--resume', tmpdir(), '--sender', 'builtin:strict']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr.trim()).toBe('badmx: --resume continues a run as it was planned: give no --sender with it');
    const empty = mkdtempSync(join(tmpdir(), 'badmx-'));
    const none = await badmx(['run', '--resume', empty]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr.trim()).toMatch(/^badmx: .*run-state\.jsonl does not exist: --resume needs the directory of a run/);
    const status = await runInProcess(['status', join(empty, 'nope')]);
    expect(status.exitCode).toBe(2);
    expect(status.stderr.trim()).toMatch(/^badmx: .*nope does not exist: give the directory of a badmx run$/);
    const neither = await badmx(['run']);
    expect(neither.exitCode).toBe(2);
    expect(neither.stderr.trim()).toMatch(/required option '--sender <spec\.\.\.>' not specified \(or --resume <dir>\)/);
  });

  it('status of a finished run shows its matrix and says it is complete', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    await badmx(['run', '--sender', 'builtin:strict', '--profile', 'tls1.3', 'expired', '--port-range', '20361', '--address', testNet('cli/run').host(1), '--out', out]);
    const status = await runInProcess(['status', out]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/1\/1 step\(s\) done, complete/);
    expect(status.stdout).toMatch(/tls1\.3\s+PASS TLS 1\.3/);
  });
});

describe('badmx run --config', () => {
  it('one shared address in the file means a sequential schedule; runs live under dataDir; flags win', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-config-'));
    const file = join(dir, 'badmx.json');
    writeFileSync(
      file,
      JSON.stringify({
        zone: 'badmx.test',
        listen: { addresses: [testNet('cli/run').host(1)], port: 20700 },
        dns: { mode: 'external', listen: null, nameServer: 'ns1.provider.example' },
        certificate: null,
        dataDir: join(dir, 'runs'),
        schedule: { stepLimit: '20s' },
        runAs: null,
        limits: { connectionsPerPeer: 5, connectionsPerPeerPerMinute: 30 },
      }),
    );
    const result = await badmx(['run', '--config', file, '--sender', 'builtin:strict', '--profile', 'tls1.3', 'expired', '--format', 'json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/step 1\/2: tls1\.3 is live for builtin:strict/);
    const json = /json: (.*run\.json)/.exec(result.stdout)?.[1] ?? '';
    expect(json.startsWith(join(dir, 'runs'))).toBe(true);
    const run = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    expect(run.schedule).toMatchObject({ mode: 'sequential', address: `${testNet('cli/run').host(1)}:20700` });
    expect(run.run.waitMs).toBe(20_000);
    expect(run.summary).toMatchObject({ pass: 2, fail: 0 });
    // an explicit flag wins over the file
    const port = await badmx(['run', '--config', file, '--sender', 'builtin:strict', '--profile', 'tls1.3', '--port', '20710', '--format', 'json']);
    expect(port.exitCode, port.stderr).toBe(0);
    const second = JSON.parse(readFileSync(/json: (.*run\.json)/.exec(port.stdout)?.[1] ?? '', 'utf8')) as RunDocument;
    expect(second.schedule.address).toBe(`${testNet('cli/run').host(1)}:20710`);
  });
});

describe('badmx run --run-as on one shared address', () => {
  it('binds port 25 once, drops root, and still steps through the profiles; what it writes after is the user\'s', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (port 25 and --run-as)');
    const out = mkdtempSync(join(tmpdir(), 'badmx-runas-'));
    chmodSync(out, 0o755);
    // (builtin:opportunistic: it reads no CA bundle, which the test PKI keeps root-only)
    // --run-as drops the process's root: the built bin, not this test's process.
    ensureBuilt();
    const result = await runBin(['run', '--run-as', 'nobody', '--shared-address', testNet('cli/run', 1).host(1), '--port', '25', '--sender', 'builtin:opportunistic', '--profile', 'tls1.3', 'no-starttls', 'tls1.2', '--out', out, '--format', 'json,md', '--dns', testNet('cli/run', 1).host(53), '--serve-dns', '--certs', certsDir]);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    // the delegated zone's DNS bound port 53 before the drop; steps 2 and 3 needed no new bind of port 25
    expect(result.stderr).toMatch(/harness DNS answering on 127\.0\.63\.53:53/);
    // The controls first (a sender that cannot reach them is diagnosed early), then the rest.
    expect(result.stderr).toMatch(/step 1\/3: tls1\.2 is live[\s\S]*step 2\/3: tls1\.3 is live[\s\S]*step 3\/3: no-starttls is live/);
    expect(result.stderr).not.toMatch(/did not accept/);
    const nobody = Number((await execa('id', ['-u', 'nobody'])).stdout);
    expect(statSync(join(out, 'run.json')).uid).toBe(nobody);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.cells.map((c) => `${c.profile} ${c.outcome}`)).toEqual(['no-starttls delivered-plaintext', 'tls1.2 delivered-tls', 'tls1.3 delivered-tls']);
    expect(run.summary).toMatchObject({ unsettled: 0 });
    expect(statSync(join(out, 'report.md')).uid).toBe(nobody);
  });
});
