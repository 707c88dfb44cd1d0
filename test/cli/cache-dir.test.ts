import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { defaultCertsDir, defaultDataDir, newestRunDir } from '../../src/cli/user-dirs.js';
import { ensureBuilt, runBin, runInProcess } from '../helpers/cli.js';
import { DEMO_RUN, HOSTILE_RUN } from '../helpers/report-fixtures.js';
import { testNet } from '../helpers/net-plan.js';

describe('where the test PKI goes without --certs', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'badmx-cwd-'));

  it('never the working directory: BADMX_CACHE, then (no earlier ./certs) XDG_CACHE_HOME, then /var/cache/badmx as root, then ~/.cache/badmx', () => {
    expect(defaultCertsDir({ BADMX_CACHE: '/srv/cache', XDG_CACHE_HOME: '/x' }, { cwd, uid: 1000 })).toBe('/srv/cache/certs');
    expect(defaultCertsDir({ XDG_CACHE_HOME: '/home/u/.xdg' }, { cwd, uid: 0 })).toBe('/home/u/.xdg/badmx/certs');
    // A relative XDG_CACHE_HOME is invalid (XDG Base Directory): ignored.
    expect(defaultCertsDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' }, { cwd, uid: 1000 })).toBe('/home/u/.cache/badmx/certs');
    expect(defaultCertsDir({ HOME: '/root' }, { cwd, uid: 0 })).toBe('/var/cache/badmx/certs');
    expect(defaultCertsDir({}, { cwd, uid: 1000 })).toBe(join(homedir(), '.cache', 'badmx', 'certs'));
  });

  it('./certs only where an earlier badmx already made a PKI there (a relay may trust it), and only BADMX_CACHE outranks it', () => {
    const old = mkdtempSync(join(tmpdir(), 'badmx-cwd-'));
    mkdirSync(join(old, 'certs'));
    const env = { XDG_CACHE_HOME: '/home/u/.xdg' };
    expect(defaultCertsDir(env, { cwd: old, uid: 1000 })).toBe('/home/u/.xdg/badmx/certs');
    writeFileSync(join(old, 'certs', 'pki.json'), '{}');
    expect(defaultCertsDir(env, { cwd: old, uid: 1000 })).toBe(join(old, 'certs'));
    expect(defaultCertsDir({ ...env, BADMX_CACHE: '/srv/cache' }, { cwd: old, uid: 1000 })).toBe('/srv/cache/certs');
  });

  it('badmx ca without --certs makes the PKI in the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'badmx-cache-'));
    const { exitCode, stdout } = await runInProcess(['ca', '--profile', 'tls1.2'], { env: { BADMX_CACHE: cache } });
    expect(exitCode).toBe(0);
    expect(stdout).toBe(join(cache, 'certs', 'ca-bundle.pem'));
  });

  it('--help says where', async () => {
    expect((await runInProcess(['ca', '--help'])).stdout).toContain('$XDG_CACHE_HOME/badmx/certs');
  });
});

describe('public mode without --certs', () => {
  it('badmx zone --config keeps the zone key in <dataDir>/certs, where badmx run --config finds it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'badmx-data-'));
    const example = JSON.parse(readFileSync(join(import.meta.dirname, '../../harness/public/badmx.example.json'), 'utf8')) as Record<string, unknown>;
    const file = join(dataDir, 'badmx.json');
    writeFileSync(file, JSON.stringify({ ...example, dataDir }));
    const { exitCode } = await runInProcess(['zone', '--config', file]);
    expect(exitCode).toBe(0);
    expect(existsSync(join(dataDir, 'certs', 'dnssec'))).toBe(true);
  });
});

describe('where runs go without --out: the user\'s data directory, never the working directory', () => {
  it('$XDG_DATA_HOME/badmx, else /var/lib/badmx as root (public mode\'s dataDir), else ~/.local/share/badmx', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/home/u/.data' }, { uid: 0 })).toBe('/home/u/.data/badmx');
    // A relative XDG_DATA_HOME is invalid (XDG Base Directory): ignored.
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel', HOME: '/home/u' }, { uid: 1000 })).toBe('/home/u/.local/share/badmx');
    expect(defaultDataDir({ HOME: '/root' }, { uid: 0 })).toBe('/var/lib/badmx');
    expect(defaultDataDir({}, { uid: 1000 })).toBe(join(homedir(), '.local', 'share', 'badmx'));
  });

  it('the newest run-<time> that holds a journal; stray directories and files are passed over', () => {
    const data = mkdtempSync(join(tmpdir(), 'badmx-data-'));
    expect(newestRunDir(data)).toBeNull();
    expect(newestRunDir(join(data, 'absent'))).toBeNull();
    for (const name of ['run-2026-11-01T10-00-00Z', 'run-2026-11-02T10-00-00Z', 'run-2026-11-03T10-00-00Z', 'run-notes']) mkdirSync(join(data, name));
    writeFileSync(join(data, 'run-2026-11-01T10-00-00Z', 'run-state.jsonl'), '');
    writeFileSync(join(data, 'run-2026-11-02T10-00-00Z', 'run-state.jsonl'), '');
    writeFileSync(join(data, 'run-notes', 'run-state.jsonl'), '');
    expect(newestRunDir(data)).toBe(join(data, 'run-2026-11-02T10-00-00Z'));
  });

  it('run without --out writes <data>/run-<time>/ and nothing in the working directory; status and report without a directory find it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'badmx-cwd-'));
    const data = mkdtempSync(join(tmpdir(), 'badmx-xdg-data-'));
    const env = { XDG_DATA_HOME: data };
    const certs = ['--certs', inject('certsDir')];
    // A real process, so that its working directory is one the test can look into afterwards.
    ensureBuilt();
    const run = await runBin(['run', '--sender', 'builtin:strict', '--profile', 'tls1.3', '--port-range', '20581', '--address', testNet('cli/cache-dir').host(1), '--format', 'json,md', '--quiet', ...certs], { env: { ...process.env, ...env }, cwd });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const runs = readdirSync(join(data, 'badmx'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^run-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);
    const dir = join(data, 'badmx', runs[0] ?? '');
    expect(run.stdout).toContain(`json: ${join(dir, 'run.json')}`);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);

    const status = await runInProcess(['status'], { env });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^run \S+, started .*: 1\/1 step\(s\) done, complete/);
    const report = await runInProcess(['report', '--format', 'csv'], { env });
    expect(report.exitCode, report.stderr).toBe(0);
    expect(existsSync(join(dir, 'cells.csv'))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);

    const compare = await runInProcess(['report', DEMO_RUN, HOSTILE_RUN, '--compare', '--format', 'md'], { env });
    expect(compare.exitCode, compare.stderr).toBe(0);
    const compared = readdirSync(join(data, 'badmx')).filter((name) => name.startsWith('compare-'));
    expect(compared).toHaveLength(1);
    expect(compare.stdout).toContain(join(data, 'badmx', compared[0] ?? '', 'compare.md'));

    const empty = { XDG_DATA_HOME: mkdtempSync(join(tmpdir(), 'badmx-xdg-empty-')) };
    const none = await runInProcess(['status'], { env: empty });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/^badmx: no run in \S+\/badmx \(runs made with --out are wherever --out said\): give the directory of a badmx run$/);
  });
});
