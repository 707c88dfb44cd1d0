import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCertsDir } from '../../src/cli/common-options.js';
import { runInProcess } from '../helpers/cli.js';

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
