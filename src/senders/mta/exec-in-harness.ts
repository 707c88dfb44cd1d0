import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants as fsConstants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { constants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BadmxError } from '../../errors.js';
import { inResolverNamespace, writeResolvConf } from './resolver-namespace.js';

export interface ExecInHarnessOptions {
  /** The program and its arguments, as the user gave them. */
  command: string[];
  /** The harness DNS server the command's resolver must use (port 53: resolv.conf has no port syntax). */
  dns: { address: string; port: number };
  /** Added to the command's environment (BADMX_CA_FILE, BADMX_DNS). */
  env: Record<string, string>;
}

/** Signals sent to badmx (a supervisor's `kill`) that it passes on to the command. */
const FORWARDED = ['SIGTERM', 'SIGHUP'] as const;

/**
 * Signals badmx ignores while the command runs: Ctrl-C and Ctrl-\ on a terminal already reach
 * the command (it shares badmx's process group), a second copy would turn a graceful stop
 * into a forced one, and badmx must not exit before the command and leave it orphaned.
 */
const FROM_TERMINAL = ['SIGINT', 'SIGQUIT'] as const;

/**
 * Run a command (the user's own MTA, a `dig`, anything) the way badmx runs its managed
 * senders: in its own mount namespace, where /etc/resolv.conf names only the harness DNS
 * server (resolver-namespace.ts). stdin, stdout and stderr are the caller's; the result is
 * the command's exit code, or 128+n when signal n ended it, as a shell reports it.
 *
 * The private resolv.conf lives in a temporary directory of its own that is removed when the
 * command exits. A daemon the command left running (`postfix start`) stays in the namespace
 * and keeps reading the harness resolv.conf: the bind mount holds the file, not its name.
 */
export async function execInHarness(options: ExecInHarnessOptions): Promise<number> {
  checkCanExec(options.command);
  const [file = '', ...args] = options.command;
  const env = { ...process.env, ...options.env };
  const dir = mkdtempSync(join(tmpdir(), 'badmx-exec-'));
  try {
    const resolvConf = writeResolvConf(dir, options.dns);
    // Readable by a daemon that drops root (the directory itself stays private).
    chmodSync(resolvConf, 0o644);
    const start = inResolverNamespace(resolvConf, file, args);
    return await runInherited(start.file, start.args, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A command is given, badmx is root, and the program exists: checked before anything else is
 * done (the PKI, a DNS hint), so that a typo is one line from badmx, not from the shell
 * inside the namespace.
 */
export function checkCanExec(command: string[]): void {
  const file = command[0];
  if (!file) throw new BadmxError('exec needs a command to run: badmx exec [--dns <ip>] -- <command> [args...]', 'EUSAGE');
  if (process.geteuid?.() !== 0) {
    throw new BadmxError('exec needs root: it gives the command a mount namespace (unshare --mount) with its own /etc/resolv.conf; run it with sudo', 'EUSAGE');
  }
  if (!findExecutable(file, process.env.PATH ?? '')) throw new BadmxError(`${file}: command not found${file.includes('/') ? '' : ' on PATH'}`, 'EUSAGE');
}

/** Where execvp(3) would find the program: a path as given, or the first executable of that name on PATH. */
function findExecutable(file: string, path: string): string | null {
  const candidates = file.includes('/') ? [file] : path.split(delimiter).map((dir) => join(dir || '.', file));
  return candidates.find(isExecutableFile) ?? null;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function runInherited(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    const ignore = (): void => undefined;
    for (const signal of FROM_TERMINAL) process.on(signal, ignore);
    for (const signal of FORWARDED) process.on(signal, forward);
    const cleanup = (): void => {
      for (const signal of FROM_TERMINAL) process.off(signal, ignore);
      for (const signal of FORWARDED) process.off(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        error.code === 'ENOENT'
          ? new BadmxError(`${file} is missing: badmx exec needs unshare(1) from util-linux`, 'EUSAGE')
          : new BadmxError(`cannot start ${file}: ${error.message}`, 'EUSAGE'),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (signal) resolve(128 + (constants.signals[signal] ?? 0));
      else resolve(code ?? 0);
    });
  });
}

/**
 * Whether the harness DNS server answers for the zone at that address now: a hint for the
 * user, never a condition (the server may well be started after the MTA, by `badmx run`).
 */
export async function harnessDnsAnswers(dns: { address: string; port: number }, zone: string): Promise<boolean> {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([dns.address.includes(':') ? `[${dns.address}]:${dns.port}` : `${dns.address}:${dns.port}`]);
  try {
    await resolver.resolveSoa(zone);
    return true;
  } catch {
    return false;
  } finally {
    resolver.cancel();
  }
}
