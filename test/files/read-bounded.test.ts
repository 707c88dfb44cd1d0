import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLimit, READ_LIMITS, ReadBoundedError, readBounded } from '../../src/files/read-bounded.js';

const dir = mkdtempSync(join(tmpdir(), 'badmx-read-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(file: string, limit: number): ReadBoundedError {
  try {
    readBounded(file, limit);
  } catch (error) {
    expect(error).toBeInstanceOf(ReadBoundedError);
    return error as ReadBoundedError;
  }
  throw new Error(`${file} was read`);
}

describe('readBounded', () => {
  it('reads a regular file up to and including the limit, as UTF-8', () => {
    const file = join(dir, 'exact.txt');
    writeFileSync(file, 'héllo');
    expect(readBounded(file, Buffer.byteLength('héllo'))).toBe('héllo');
    expect(readBounded(file, 1024)).toBe('héllo');
    writeFileSync(join(dir, 'empty'), '');
    expect(readBounded(join(dir, 'empty'), 0)).toBe('');
  });

  it('reads a file bigger than its first buffer (it grows the buffer, up to the limit)', () => {
    const file = join(dir, 'grow.txt');
    const text = 'x'.repeat(300_000);
    writeFileSync(file, text);
    expect(readBounded(file, 300_000)).toBe(text);
    expect(errorOf(file, 299_999)).toMatchObject({ systemCode: 'ETOOBIG', reason: 'larger than the 299999 bytes limit' });
  });

  it('refuses one byte over the limit, naming the limit', () => {
    const file = join(dir, 'over.json');
    writeFileSync(file, 'x'.repeat(1025));
    const error = errorOf(file, 1024);
    expect(error.systemCode).toBe('ETOOBIG');
    expect(error.reason).toBe('larger than the 1 KiB limit');
    expect(error.message).toBe(`${file}: larger than the 1 KiB limit`);
  });

  it('refuses a huge (sparse) file from its size alone, without reading it', () => {
    const file = join(dir, 'sparse.img');
    writeFileSync(file, '');
    truncateSync(file, 64 * 1024 ** 3); // 64 GiB of nothing: reading it would take minutes
    const started = Date.now();
    expect(errorOf(file, READ_LIMITS.config).reason).toBe('larger than the 1 MiB limit');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reads at most limit + 1 bytes of a file whose size says 0 (/proc)', () => {
    // /proc/self/maps is a "regular file" of size 0 that holds far more than 64 bytes.
    expect(errorOf('/proc/self/maps', 64).systemCode).toBe('ETOOBIG');
    expect(readBounded('/proc/self/maps', READ_LIMITS.profile)).toMatch(/\n/);
  });

  it('refuses /dev/zero, a FIFO with no writer (without hanging), a directory, a missing file', () => {
    expect(errorOf('/dev/zero', READ_LIMITS.pem)).toMatchObject({ systemCode: 'ENOTREG', reason: 'is a character device, not a regular file' });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf(fifo, READ_LIMITS.config)).toMatchObject({ systemCode: 'ENOTREG', reason: 'is a FIFO, not a regular file' });
    expect(errorOf(dir, READ_LIMITS.config)).toMatchObject({ systemCode: 'EISDIR', reason: 'is a directory' });
    expect(errorOf(join(dir, 'missing'), READ_LIMITS.config)).toMatchObject({ systemCode: 'ENOENT', reason: 'no such file' });
    expect(errorOf(join(dir, 'empty', 'below'), READ_LIMITS.config).systemCode).toBe('ENOTDIR');
  });

  it('says limits the way people read them', () => {
    expect(formatLimit(READ_LIMITS.config)).toBe('1 MiB');
    expect(formatLimit(READ_LIMITS.profile)).toBe('256 KiB');
    expect(formatLimit(READ_LIMITS.runDocument)).toBe('64 MiB');
    expect(formatLimit(READ_LIMITS.journal)).toBe('256 MiB');
    expect(formatLimit(1000)).toBe('1000 bytes');
  });
});
