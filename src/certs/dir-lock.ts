import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadmxError } from '../errors.js';

const LOCK_STALE_MS = 60_000;
const LOCK_WAIT_MS = 60_000;

/**
 * Holds `<dir>/.lock` while fn runs, so that two badmx processes (or test workers)
 * sharing a certs directory never interleave key and certificate files. A lock older
 * than a minute is left over from a crash and is taken over.
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BadmxError(`cannot write to the certs directory ${dir}: ${(error as Error).message}`, 'EPKI');
      }
      if (isStale(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new BadmxError(`the certs directory ${dir} is locked by another badmx (remove ${lock} if none runs)`, 'EPKI');
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}
