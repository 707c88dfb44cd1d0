import { accessSync, constants, existsSync, lchownSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../errors.js';

/**
 * Dropping root once the receivers listen (`--run-as <user>`). Port 25 needs root or
 * CAP_NET_BIND_SERVICE only to bind; a receiver on the open internet parses whatever a
 * scanner sends, so it must not keep root while it does. The alternative that never has
 * root at all: `setcap cap_net_bind_service=+ep "$(command -v node)"` or systemd's
 * `AmbientCapabilities=CAP_NET_BIND_SERVICE` with `User=`.
 */

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The user's uid and primary gid, by `id -u`/`id -g` (so NSS, LDAP and the like are honoured). */
export async function resolveRunAs(name: string): Promise<RunAsUser> {
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(name) || name.length > 64) {
    throw new BadmxError(`--run-as "${name}" is not a user name`, 'EUSAGE');
  }
  const ask = async (flag: '-u' | '-g'): Promise<number> => {
    const result = await execa('id', [flag, '--', name], { reject: false, stdin: 'ignore' });
    const value = Number(result.stdout.trim());
    if (result.exitCode !== 0 || !Number.isInteger(value) || value < 0) {
      throw new BadmxError(`--run-as: no user "${name}" on this system (id ${flag} ${name} failed)`, 'EUSAGE');
    }
    return value;
  };
  return { name, uid: await ask('-u'), gid: await ask('-g') };
}

/** Checked before anything listens: a drop that cannot happen must not be found out after the fleet is up. */
export function checkCanDrop(user: RunAsUser): void {
  if (typeof process.setuid !== 'function' || typeof process.getuid !== 'function') {
    throw new BadmxError('--run-as is not supported on this platform', 'EUSAGE');
  }
  if (process.getuid() !== 0 && process.getuid() !== user.uid) {
    throw new BadmxError(`--run-as ${user.name} needs badmx to start as root (it runs as uid ${process.getuid()})`, 'EUSAGE');
  }
  if (user.uid === 0) throw new BadmxError(`--run-as ${user.name}: that is root; name an unprivileged user`, 'EUSAGE');
}

/**
 * Hand the directories the receivers still write to (the event log's directory, the
 * message store) to the user, then setgid/setuid to it and prove it took: every id is the
 * user's, no supplementary group of root's survives, and getting root back fails.
 * Throws (the caller stops the fleet) rather than go on as root.
 */
export function dropPrivileges(user: RunAsUser, writable: { dirs: string[]; files: string[] }): void {
  if (process.getuid?.() === user.uid && process.geteuid?.() === user.uid) return;
  try {
    for (const dir of writable.dirs) {
      // Created owner-only, as the message store creates its own (and then the user's); parents as usual, so the user can reach it.
      if (!existsSync(dir)) {
        mkdirSync(dirname(dir), { recursive: true });
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      }
      chownTree(dir, user);
    }
    // lchown: a symbolic link is handed over itself, never what it points to.
    for (const file of writable.files) if (existsSync(file)) lchownSync(file, user.uid, user.gid);
    // Supplementary groups first (only root may change them), then the group, then the user: after setuid nothing else can be changed.
    process.setgroups?.([user.gid]);
    process.setgid?.(user.gid);
    process.setuid?.(user.uid);
  } catch (error) {
    throw new BadmxError(`--run-as ${user.name}: could not drop root (${(error as Error).message}); refusing to serve as root`, 'ECONFIG');
  }
  const ids = [process.getuid?.(), process.geteuid?.()];
  const gids = [process.getgid?.(), process.getegid?.()];
  const groups = process.getgroups?.() ?? [];
  let regained = false;
  try {
    process.setuid?.(0);
    regained = true;
  } catch {
    // EPERM: as it must be
  }
  if (regained || ids.some((id) => id !== user.uid) || gids.some((id) => id !== user.gid) || groups.some((g) => g !== user.gid)) {
    throw new BadmxError(`--run-as ${user.name}: the switch to uid ${user.uid}/gid ${user.gid} did not take; refusing to serve as root`, 'ECONFIG');
  }
  // The receivers store every accepted message: a directory the user cannot reach (a parent of mode 0700) would lose them all.
  for (const dir of writable.dirs) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      throw new BadmxError(`--run-as ${user.name}: cannot write ${dir} as that user (is a parent directory closed to it?)`, 'ECONFIG');
    }
  }
}

function chownTree(dir: string, user: RunAsUser): void {
  lchownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, user);
    else if (entry.isFile()) lchownSync(path, user.uid, user.gid);
  }
}
