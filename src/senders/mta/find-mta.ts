import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BadmxError } from '../../errors.js';

/** How to get the MTAs badmx runs: harness/install-mtas.sh does both (as root). */
export const INSTALL_HINT = 'run "sudo bash harness/install-mtas.sh" (Postfix from apt; Exim unpacked into a cache, since the two Debian packages conflict)';

/**
 * Where harness/install-mtas.sh unpacks Exim (BADMX_CACHE overrides /var/cache/badmx).
 * A system directory, not root's home: Exim re-executes itself as Debian-exim, which
 * must be able to reach its own (setuid root) binary.
 */
export function eximCacheDir(): string {
  return join(process.env.BADMX_CACHE ?? '/var/cache/badmx', 'exim4');
}

export interface MtaBinaries {
  /** The binary to run. */
  program: string;
  /** For Postfix: postconf, to read the version. */
  helper?: string;
}

export function findPostfix(): MtaBinaries {
  const program = process.env.BADMX_POSTFIX ?? '/usr/sbin/postfix';
  if (!existsSync(program) || !existsSync('/usr/lib/postfix/sbin/master')) {
    throw new BadmxError(`Postfix is not installed (no ${program}): ${INSTALL_HINT}`, 'EMTA');
  }
  return { program, helper: '/usr/sbin/postconf' };
}

export function findExim(): MtaBinaries {
  // BADMX_EXIM names the binary to use and nothing else.
  const candidates = process.env.BADMX_EXIM ? [process.env.BADMX_EXIM] : ['/usr/sbin/exim4', join(eximCacheDir(), 'usr/sbin/exim4')];
  const program = candidates.find((c) => existsSync(c));
  if (!program) throw new BadmxError(`Exim is not installed (looked for ${candidates.join(', ')}): ${INSTALL_HINT}`, 'EMTA');
  return { program };
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new BadmxError(`${what} must run as root (its daemons switch users, and it needs a private mount namespace for the harness resolver)`, 'EMTA');
  }
}
