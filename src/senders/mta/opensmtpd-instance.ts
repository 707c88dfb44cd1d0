import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { freePort, waitForListener, type MtaInstance, type MtaStartOptions, signalGroup, mtaOneLine as oneLine } from './mta-instance.js';
import { readOpensmtpdLog } from './opensmtpd-log.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';
import { writeResolvConf } from './resolver-namespace.js';

/** What a missing OpenSMTPD says to do (harness/install-mtas.sh runs harness/install-opensmtpd.sh). */
const INSTALL_OPENSMTPD = 'run "sudo bash harness/install-mtas.sh" (it unpacks Debian\'s opensmtpd into a cache with harness/install-opensmtpd.sh, since the package conflicts with Postfix)';
/** The CA file smtpd verifies servers against: compiled in (CA_FILE), the system store. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** The run-time users the binary was built for ("unknown user opensmtpd" otherwise). */
const USERS = ['opensmtpd', 'opensmtpq'];
/** The chroot of smtpd's unprivileged processes, compiled in; the package ships it. */
const CHROOT = '/var/lib/opensmtpd/empty';

/** The relay action's options per recipe variant (smtpd.conf(5), "relay": tls [no-verify]). */
const RELAY_OPTIONS: Record<string, string> = {
  default: '',
  tls: ' tls no-verify',
  verify: ' tls',
};

/** Where harness/install-opensmtpd.sh unpacks OpenSMTPD (BADMX_CACHE overrides /var/cache/badmx). */
export function opensmtpdCacheDir(): string {
  return join(process.env.BADMX_CACHE ?? '/var/cache/badmx', 'opensmtpd');
}

/** smtpd and smtpctl: BADMX_OPENSMTPD names the directory holding both (usr/sbin of the unpacked package). */
export function findOpensmtpd(): { smtpd: string; smtpctl: string } {
  const candidates = process.env.BADMX_OPENSMTPD ? [process.env.BADMX_OPENSMTPD] : [join(opensmtpdCacheDir(), 'usr/sbin')];
  const dir = candidates.find((c) => existsSync(join(c, 'smtpd')) && existsSync(join(c, 'smtpctl')));
  if (!dir) throw new BadmxError(`OpenSMTPD is not installed (looked for smtpd and smtpctl in ${candidates.join(', ')}): ${INSTALL_OPENSMTPD}`, 'EMTA');
  return { smtpd: join(dir, 'smtpd'), smtpctl: join(dir, 'smtpctl') };
}

/**
 * Run in the instance's namespaces (private mount and UTS): OpenSMTPD compiles in its
 * queue (/var/spool/smtpd), control socket (/var/run/smtpd.sock), CA file and server name
 * (gethostname(3) without /etc/mailname), so the instance gets private ones by bind
 * mounts and its own host name. /etc/resolv.conf is resolved first: where it is a link
 * into /run (systemd-resolved), the private /var/run would hide its target.
 * Then smtpd in the foreground (-d: logs to stderr, the log file), and a queue run
 * ("smtpctl schedule all") every retry interval, since smtpd's own back-off is compiled in.
 */
const NAMESPACE_SCRIPT = [
  'set -e',
  'resolv="$1" bundle="$2" run="$3" spool="$4" host="$5" retry="$6" smtpd="$7" smtpctl="$8" conf="$9"',
  'resolved=$(readlink -f /etc/resolv.conf)',
  'mount --bind "$run" /var/run',
  'mount --bind "$spool" /var/spool',
  // Only where the private /var/run hid it (it is /run on this system): never a host file.
  'case "$resolved" in /run/*|/var/run/*) [ -e "$resolved" ] || { mkdir -p "${resolved%/*}"; : > "$resolved"; };; esac',
  'mount --bind "$resolv" "$resolved"',
  'mount --bind "$bundle" ' + SYSTEM_BUNDLE,
  'hostname "$host"',
  '"$smtpd" -d -f "$conf" &',
  'pid=$!',
  // On TERM, smtpd's parent ends its privilege-separated processes and reaps them itself.
  'trap \'kill -TERM $pid $sleeper 2>/dev/null; wait $pid; exit 0\' TERM INT',
  'while kill -0 $pid 2>/dev/null; do sleep "$retry" & sleeper=$!; wait $sleeper; "$smtpctl" schedule all >/dev/null 2>&1 || true; done',
  'wait $pid',
].join('\n');

/**
 * A private OpenSMTPD instance from harness/opensmtpd/smtpd.conf (Debian's smtpd.conf with
 * the recipe's relay action), in its own mount and UTS namespaces: a private queue,
 * control socket, trust store and host name, and the harness resolv.conf, so that it finds
 * each receiver by MX lookup through the harness DNS. Several run side by side.
 */
export async function startOpensmtpd(options: MtaStartOptions): Promise<MtaInstance> {
  const { smtpd, smtpctl } = findOpensmtpd();
  const relayOptions = RELAY_OPTIONS[options.recipe.variant];
  if (relayOptions === undefined) throw new BadmxError(`${options.recipe.spec}: no OpenSMTPD relay action for "${options.recipe.variant}"`, 'EMTA');
  for (const user of USERS) {
    if ((await execa('id', [user], { reject: false })).exitCode !== 0) throw new BadmxError(`the ${user} user does not exist: ${INSTALL_OPENSMTPD}`, 'EMTA');
  }
  if (!existsSync(CHROOT)) throw new BadmxError(`${CHROOT} does not exist: ${INSTALL_OPENSMTPD}`, 'EMTA');
  if (!existsSync(SYSTEM_BUNDLE)) throw new BadmxError(`${SYSTEM_BUNDLE} does not exist (the ca-certificates package): ${INSTALL_OPENSMTPD}`, 'EMTA');

  const dir = options.env.workDir;
  // smtpd checks that its queue is root's and reachable: the private /var/spool and
  // /var/run are root's, and the queue user must traverse them.
  chmodSync(dir, 0o755);
  const run = join(dir, 'run');
  const spool = join(dir, 'spool');
  for (const sub of [run, spool]) {
    mkdirSync(sub, { recursive: true });
    chmodSync(sub, 0o755);
  }
  // Trust the harness root in addition to the system store (the stock CA file).
  const caFile = join(dir, 'ca-bundle.pem');
  writeFileSync(caFile, [readFileSync(SYSTEM_BUNDLE, 'utf8'), readFileSync(options.env.caFile, 'utf8')].join('\n'));
  const resolvConf = writeResolvConf(dir, options.env.dns);

  const port = await freePort();
  const config = join(dir, 'smtpd.conf');
  writeFileSync(
    config,
    renderTemplate(join(HARNESS_DIR, 'opensmtpd/smtpd.conf'), {
      port,
      relayOptions,
      zone: options.env.zone,
      lifetime: `${options.timers.lifetimeSeconds}s`,
      retry: `${options.timers.retrySeconds}s`,
    }),
  );
  const logFile = join(dir, 'smtpd.log');
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  // Check the configuration first: a bad recipe is one clear line, not a silent daemon.
  const checked = await execa(smtpd, ['-n', '-f', config], { reject: false, all: true });
  if (checked.exitCode !== 0) throw new BadmxError(`${options.recipe.spec}: smtpd rejects its configuration: ${oneLine(checked.all ?? '')}`, 'EMTA');
  const version = /OpenSMTPD (\S+)/.exec((await execa(smtpd, ['-h'], { reject: false, all: true })).all ?? '')?.[1] ?? 'unknown';

  const log = openSync(logFile, 'a');
  const child = spawn(
    'unshare',
    ['--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', NAMESPACE_SCRIPT, 'opensmtpd', resolvConf, caFile, run, spool, options.hostname, String(options.timers.retrySeconds), smtpd, smtpctl, config],
    // Its own process group: stop() ends smtpd's privilege-separated processes with it.
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid === undefined) return;
    // A delivery still in progress must not reach a receiver during the next sender's window.
    // TERM to the namespace's shell, which passes it to smtpd (that stops and reaps its own
    // processes, where a signal to the whole group can leave some unreaped); then KILL to
    // whatever is left of the group.
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    signalGroup(pid, 'SIGKILL');
    await exit;
  };
  try {
    await waitForListener(port, 15_000, () => (exited ? 'smtpd exited: ' : '') + oneLine(readLog().split('\n').slice(-3).join(' | ')));
  } catch (error) {
    await stop();
    throw new BadmxError(`${options.recipe.spec}: ${(error as Error).message}`, 'EMTA');
  }
  return { port, version, readLog, logReader: readOpensmtpdLog, stop };
}


