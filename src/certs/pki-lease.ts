import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which running fleets serve certificates from a certs directory, and for which zone. A fleet
 * holds a lease (`<dir>/leases/<pid>-<id>.json`) from the moment its PKI is ready until it
 * stops, so that another badmx asking the same directory for a different zone, which would
 * make a new root and overwrite the CA bundle, is refused instead: the running fleet's
 * controls would otherwise stop verifying against the bundle its own manifest names, and a
 * strict sender would be failed for the harness's doing. A lease whose process is gone (a
 * crash, kill -9) is removed when found.
 */
export interface PkiLease {
  release(): void;
}

interface LeaseRecord {
  pid: number;
  zone: string;
  at: string;
}

export function takeLease(dir: string, zone: string): PkiLease {
  const folder = join(dir, 'leases');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${process.pid}-${randomBytes(4).toString('hex')}.json`);
  const record: LeaseRecord = { pid: process.pid, zone, at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o644 });
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        rmSync(file, { force: true });
      } catch {
        // A fleet that dropped root cannot remove what root wrote: the lease goes stale with the process.
      }
    },
  };
}

/** Live leases on the directory for a zone other than this one, or all of them for null (stale ones are removed on the way). */
export function leasesForOtherZones(dir: string, zone: string | null): LeaseRecord[] {
  const folder = join(dir, 'leases');
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const others: LeaseRecord[] = [];
  for (const name of names) {
    const file = join(folder, name);
    let record: LeaseRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as LeaseRecord;
    } catch {
      continue;
    }
    if (!alive(record.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (record.zone !== zone) others.push(record);
  }
  return others;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else (a fleet that dropped root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
