import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { claimRunDirectory, OWNER_FILE, runOwner } from '../../src/run/run-owner.js';

describe('one process per run directory', () => {
  it('claims, refuses a second claim while the owner lives, and releases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-owner-'));
    const claim = claimRunDirectory(dir);
    expect(runOwner(dir)).toBe(process.pid);
    // another live process owns it: the parent of this worker stands in for a running badmx
    writeFileSync(join(dir, OWNER_FILE), `${process.ppid}\n`);
    expect(() => claimRunDirectory(dir)).toThrow(new RegExp(`is in use by a badmx run still going on \\(pid ${process.ppid}\\)`));
    // release() leaves another process's claim alone
    claim.release();
    expect(readFileSync(join(dir, OWNER_FILE), 'utf8').trim()).toBe(String(process.ppid));
  });

  it('takes over the pid file of a process that is gone (a crash, kill -9)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-owner-'));
    const gone = await execa('sh', ['-c', 'echo $$']);
    writeFileSync(join(dir, OWNER_FILE), `${gone.stdout.trim()}\n`);
    const claim = claimRunDirectory(dir);
    expect(runOwner(dir)).toBe(process.pid);
    claim.release();
    expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
  });
});
