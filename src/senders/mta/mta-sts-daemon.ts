import { startLoggedDaemon } from './logged-daemon.js';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';
import { inResolverNamespace } from './resolver-namespace.js';

/** What a missing daemon says to do (harness/install-mtas.sh runs harness/install-mta-sts-resolver.sh). */
const INSTALL_HINT = 'run "sudo bash harness/install-mtas.sh" (it installs Debian\'s postfix-mta-sts-resolver with harness/install-mta-sts-resolver.sh)';
/** The user Debian's unit runs the daemon as (User=_mta-sts); the package's postinst makes it. */
const DAEMON_USER = '_mta-sts';
/** The system trust store (the ca-certificates package, which postfix-mta-sts-resolver depends on). */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/**
 * The line the daemon logs once its socket listens: daemon.py's amain() logs it right after
 * `await responder.start()` (asyncio.start_unix_server, bound and listening when it returns),
 * where it also tells systemd READY=1 (Debian's unit is Type=notify).
 */
const READY = /\bMAIN: Server started\.$/m;
/** How long the daemon may take to listen, and to stop on SIGTERM before it is killed. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
/** sockaddr_un's sun_path: 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * In the resolver namespace (resolv.conf already the harness's): the private nsswitch.conf
 * when there is one, then the daemon as _mta-sts with no new privileges (Debian's unit:
 * User=_mta-sts, NoNewPrivileges=yes), logging at debug level to stderr.
 */
const NAMESPACE_SCRIPT = [
  'set -e',
  '[ -z "$1" ] || mount --bind "$1" /etc/nsswitch.conf',
  'exec setpriv --reuid="$2" --regid="$2" --init-groups --no-new-privs -- "$3" -c "$4" -v debug',
].join('\n');

export interface MtaStsDaemonOptions {
  /** The instance's work directory (made traversable): the daemon's files go in it. */
  dir: string;
  /** The harness resolv.conf (resolver-namespace.ts), the one the Postfix instance reads too. */
  resolvConf: string;
  /** The harness test root, trusted for policy hosts in addition to the system store. */
  caFile: string;
  /** cache_grace: how long a cached policy is used before its TXT record is looked up again. */
  cacheGraceSeconds: number;
}

/** A running private mta-sts-daemon. */
export interface MtaStsDaemon {
  /** Its socketmap socket. */
  socket: string;
  /** The Postfix table that asks it: socketmap:unix:<socket>:postfix. */
  map: string;
  /** postfix-mta-sts-resolver's version (Python package metadata), e.g. 1.1.2. */
  version: string;
  /** Its log so far: every lookup, policy fetched and answer given (debug level). */
  readLog(): string;
  stop(): Promise<void>;
}

/** The daemon's socketmap socket in an instance's work directory (a directory of the daemon's own). */
export function mtaStsSocket(dir: string): string {
  return join(dir, 'mta-sts', 'socketmap.sock');
}

/** The daemon's program: BADMX_MTA_STS_DAEMON names another, else Debian's /usr/bin/mta-sts-daemon. */
export function findMtaStsDaemon(): string {
  const program = process.env.BADMX_MTA_STS_DAEMON ?? '/usr/bin/mta-sts-daemon';
  if (!existsSync(program)) throw new BadmxError(`postfix-mta-sts-resolver is not installed (no ${program}): ${INSTALL_HINT}`, 'EMTA');
  return program;
}

/**
 * A private mta-sts-daemon (Debian's postfix-mta-sts-resolver) for one Postfix instance,
 * from harness/postfix/mta-sts-daemon.yml: its socket, SQLite cache, configuration and log
 * in the instance's work directory.
 *
 * DNS: the daemon looks up `_mta-sts.<domain>` TXT with aiodns (resolver.py:
 * `aiodns.DNSResolver(timeout=…)`, no nameservers given), whose c-ares (libc-ares2) reads
 * /etc/resolv.conf; it fetches https://mta-sts.<domain>/.well-known/mta-sts.txt (port 443,
 * fixed in resolver.py) with aiohttp, whose default resolver is getaddrinfo(3) (aiohttp
 * 3.8 resolver.py: `aiodns_default = False`, so ThreadedResolver), which follows
 * /etc/nsswitch.conf. So the daemon runs in a mount namespace where /etc/resolv.conf is the
 * harness's, as the Postfix instance does (resolver-namespace.ts), and where nsswitch.conf's
 * hosts line is "files dns": a host's "resolve" (systemd-resolved) or other source would
 * not read resolv.conf.
 *
 * Certificates: aiohttp verifies the policy host with `ssl.create_default_context()`
 * (connector.py `_make_ssl_context(True)`; the daemon passes no ssl= of its own), which
 * loads OpenSSL's default paths, and OpenSSL takes the CA file from SSL_CERT_FILE
 * (Python: ssl.get_default_verify_paths(), openssl_cafile_env). The daemon gets
 * SSL_CERT_FILE = the system store plus the harness test root; the default CA directory
 * (/usr/lib/ssl/certs, the system store) still applies. Hostname checked, SNI sent.
 *
 * Its environment is otherwise only PATH and LANG: no proxy variables (resolver.py routes
 * policy fetches through `https_proxy` from the environment), no LOCALDOMAIN or RES_OPTIONS
 * (c-ares reads them), no NOTIFY_SOCKET.
 */
export async function startMtaStsDaemon(options: MtaStsDaemonOptions): Promise<MtaStsDaemon> {
  const program = findMtaStsDaemon();
  const ids = await Promise.all(['-u', '-g'].map((flag) => execa('id', [flag, DAEMON_USER], { reject: false })));
  if (ids.some((r) => r.exitCode !== 0)) throw new BadmxError(`the ${DAEMON_USER} user does not exist: ${INSTALL_HINT}`, 'EMTA');
  const [uid, gid] = ids.map((r) => Number(r.stdout));

  const { dir } = options;
  // The daemon runs as _mta-sts: it must reach its configuration and own its directory (socket, cache).
  chmodSync(dir, 0o755);
  const socket = mtaStsSocket(dir);
  const own = dirname(socket);
  mkdirSync(own, { recursive: true });
  chmodSync(own, 0o755);
  chownSync(own, uid ?? 0, gid ?? 0);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new BadmxError(`${socket}: too long for a unix socket path; set TMPDIR to a shorter directory`, 'EMTA');

  const config = join(dir, 'mta-sts-daemon.yml');
  writeFileSync(
    config,
    renderTemplate(join(HARNESS_DIR, 'postfix/mta-sts-daemon.yml'), {
      socket,
      cacheGrace: options.cacheGraceSeconds,
      cacheFile: join(own, 'cache.db'),
    }),
  );
  const bundle = join(dir, 'mta-sts-ca-bundle.pem');
  writeFileSync(bundle, [existsSync(SYSTEM_BUNDLE) ? readFileSync(SYSTEM_BUNDLE, 'utf8') : '', readFileSync(options.caFile, 'utf8')].join('\n'));
  const nsswitch = writeNsswitch(dir);
  for (const file of [config, bundle, ...(nsswitch ? [nsswitch] : [])]) chmodSync(file, 0o644);

  const version = await packageVersion(program);
  const logFile = join(dir, 'mta-sts-daemon.log');
  writeFileSync(logFile, '');
  const readLog = (): string => readFileSync(logFile, 'utf8');

  const start = inResolverNamespace(options.resolvConf, '/bin/sh', ['-c', NAMESPACE_SCRIPT, 'mta-sts-daemon', nsswitch ?? '', DAEMON_USER, program, config]);
  // TERM: the daemon stops its server and waits for its clients (shutdown_timeout), then exits; KILL to what is left after that.
  const daemon = await startLoggedDaemon({
    name: 'mta-sts-daemon',
    file: start.file,
    args: start.args,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', SSL_CERT_FILE: bundle },
    logFile,
    ready: READY,
    startTimeoutMs: START_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
  return { socket, map: `socketmap:unix:${socket}:postfix`, version, readLog, stop: () => daemon.stop() };
}

/**
 * The host's nsswitch.conf with "hosts: files dns", for the daemon's namespace; null when the
 * host has none (glibc then uses DNS, through resolv.conf, and files).
 */
function writeNsswitch(dir: string): string | null {
  if (!existsSync('/etc/nsswitch.conf')) return null;
  const file = join(dir, 'mta-sts-nsswitch.conf');
  const host = readFileSync('/etc/nsswitch.conf', 'utf8');
  const hosts = 'hosts: files dns # badmx: the harness resolv.conf only';
  writeFileSync(file, /^hosts:.*$/m.test(host) ? host.replace(/^hosts:.*$/m, hosts) : `${host}\n${hosts}\n`);
  return file;
}

/** The version of postfix-mta-sts-resolver, asked of the interpreter on the daemon's #! line (Python package metadata). */
async function packageVersion(program: string): Promise<string> {
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(program, 'utf8').slice(0, 200))?.[1];
  if (!shebang) return 'unknown';
  const asked = await execa(shebang, ['-c', "import importlib.metadata as m; print(m.version('postfix-mta-sts-resolver'))"], { reject: false });
  return asked.exitCode === 0 ? asked.stdout.trim() : 'unknown';
}
