import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BadmxError } from '../errors.js';

/** The file that says which process is running a run directory. */
export const OWNER_FILE = 'run.pid';

/**
 * One process per run directory. A run lasts hours and its journal is append-only: a
 * `--resume` started while the run still goes on (or a second run into the same --out)
 * would interleave two schedules in one journal and one event log. The owner's pid goes
 * into run.pid (created exclusively); a pid file whose process is gone was left by a crash
 * or kill -9, and is taken over. `badmx status` reads it to say whether the run is alive.
 */
export function claimRunDirectory(dir: string): { release(): void } {
  const file = join(dir, OWNER_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release() {
          // Only our own claim: never remove the file of a process that took over.
          if (runOwner(dir) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = runOwner(dir);
      if (owner !== null && owner !== process.pid && isAlive(owner)) {
        throw new BadmxError(`${dir} is in use by a badmx run still going on (pid ${owner}): wait for it, watch it with badmx status ${dir}, or stop it first`, 'EUSAGE');
      }
      rmSync(file, { force: true });
    }
  }
  throw new BadmxError(`cannot claim ${dir} for this run (${file} keeps coming back)`, 'EUSAGE');
}

/** The pid in run.pid, or null when there is none (or it is unreadable). */
export function runOwner(dir: string): number | null {
  const file = join(dir, OWNER_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user (a run that dropped root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
