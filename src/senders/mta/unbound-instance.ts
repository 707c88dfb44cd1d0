import { startLoggedDaemon } from './logged-daemon.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { mtaOneLine as oneLine } from './mta-instance.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';

/** What a missing unbound says to do (harness/install-mtas.sh runs harness/install-unbound.sh). */
const INSTALL_HINT = 'run "sudo bash harness/install-mtas.sh" (it installs Debian\'s unbound with harness/install-unbound.sh)';
/** The user Debian's package makes and unbound drops to by default (unbound.conf(5) username:). */
const UNBOUND_USER = 'unbound';
/**
 * The line unbound logs once it serves: daemon.c logs it at verbosity 1 (VERB_OPS) when its
 * worker starts, after the listening sockets were opened (unbound exits when it cannot bind).
 */
const READY = /\bstart of service \(unbound [^)]*\)\./;
/** Stock verbosity (unbound.conf(5): "Default is level 1"): the least that logs READY. */
const STOCK_VERBOSITY = 1;
/** How long unbound may take to serve, and to stop on SIGTERM before it is killed. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface UnboundOptions {
  /** The instance's own directory: its configuration and pid file go in it. */
  workDir: string;
  /** Where it listens for the senders (a loopback address: access-control allows only loopback). */
  listen: { address: string; port: number };
  /** The harness zone, e.g. badmx.test: resolved through `upstream`, and the only zone answered. */
  zone: string;
  /**
   * The zone's trust anchor, a DS (or DNSKEY) record in presentation format, one line, as
   * dsPresentation() writes it: `badmx.test. 3600 IN DS <tag> 13 2 <HEX>`. Its owner must be
   * the zone: an anchor for another name would leave the zone insecure (answers without AD,
   * and no failure either).
   */
  trustAnchor: string;
  /** The harness DNS, authoritative for the zone. */
  upstream: { address: string; port: number };
  /** Where its log goes (created or emptied at start; kept after stop). */
  logFile: string;
  /** unbound.conf verbosity (default 1, stock): 3 logs every query it sends and where to. */
  verbosity?: number;
}

/** A running private unbound. */
export interface UnboundInstance {
  address: string;
  port: number;
  /** unbound's version, e.g. 1.17.1. */
  version: string;
  /** Its log so far: start and stop, validation failures (val-log-level 2), SERVFAIL reasons, every reply. */
  readLog(): string;
  stop(): Promise<void>;
}

/** The program: BADMX_UNBOUND names another, else Debian's /usr/sbin/unbound. */
export function findUnbound(): string {
  const program = process.env.BADMX_UNBOUND ?? '/usr/sbin/unbound';
  if (!existsSync(program)) throw new BadmxError(`unbound is not installed (no ${program}): ${INSTALL_HINT}`, 'EMTA');
  return program;
}

/**
 * The trust anchor as unbound.conf's `trust-anchor: "<RR>"` takes it ("Has to be on a single
 * line, with "" around it"), checked to be a DS or DNSKEY record whose owner is the zone.
 */
export function unboundTrustAnchor(record: string, zone: string): string {
  const line = record.trim().split(/\s+/).join(' ');
  const fields = line.split(' ');
  const owner = (fields[0] ?? '').toLowerCase().replace(/\.$/, '');
  const type = fields.find((field) => field === 'DS' || field === 'DNSKEY');
  if (/["\n\\]/.test(record.trim()) || !type) throw new BadmxError(`not a DS or DNSKEY record on one line: ${oneLine(record)}`, 'EINPUT');
  if (owner !== normalZone(zone)) throw new BadmxError(`the trust anchor is for ${owner || '(no name)'}, not for the zone ${normalZone(zone)}: the zone would not be validated`, 'EINPUT');
  return `${owner}. ${fields.slice(1).join(' ')}`;
}

function normalZone(zone: string): string {
  return zone.toLowerCase().replace(/\.$/, '');
}

/** An IP address, checked: unbound.conf takes it as it is. */
function ipAddress(address: string): string {
  if (!isIP(address)) throw new BadmxError(`not an IP address: ${address}`, 'EINPUT');
  return address;
}

/** An address and port as unbound.conf writes a server: `<ip>@<port>`. */
function server(endpoint: { address: string; port: number }): string {
  return `${ipAddress(endpoint.address)}@${endpoint.port}`;
}

/**
 * A private unbound (Debian's), from harness/unbound/unbound.conf: it listens on
 * `listen`, answers for loopback clients only, resolves the harness zone through the harness
 * DNS as a stub zone, validates it from `trustAnchor` (AD on what validates, SERVFAIL on what
 * does not, the reason in its log), and refuses every other name without a query anywhere.
 *
 * It runs in the foreground (-d), logging to stderr, which goes to `logFile`; started as root
 * it drops to the unbound user after binding its port, as Debian's does. Ready when it logs
 * "start of service"; stop() sends SIGTERM ("gracefully terminates", unbound.conf(5) pidfile:),
 * then SIGKILL to its process group after a grace.
 */
export async function startUnbound(options: UnboundOptions): Promise<UnboundInstance> {
  const program = findUnbound();
  const zone = normalZone(options.zone);
  const verbosity = options.verbosity ?? STOCK_VERBOSITY;
  if (!Number.isInteger(verbosity) || verbosity < STOCK_VERBOSITY || verbosity > 5) throw new BadmxError(`unbound verbosity must be 1 to 5 (1 logs "start of service"), not ${verbosity}`, 'EINPUT');
  const { workDir } = options;
  // Written into quoted strings of unbound.conf as they are.
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(zone)) throw new BadmxError(`not a zone name unbound.conf can take: ${options.zone}`, 'EINPUT');
  if (/["\n]/.test(workDir)) throw new BadmxError(`a work directory unbound.conf cannot name: ${oneLine(workDir)}`, 'EINPUT');
  mkdirSync(workDir, { recursive: true });
  const config = join(workDir, 'unbound.conf');
  const pidFile = join(workDir, 'unbound.pid');
  writeFileSync(
    config,
    renderTemplate(join(HARNESS_DIR, 'unbound/unbound.conf'), {
      address: ipAddress(options.listen.address),
      port: options.listen.port,
      directory: workDir,
      pidFile,
      username: process.getuid?.() === 0 ? UNBOUND_USER : '',
      verbosity,
      trustAnchor: unboundTrustAnchor(options.trustAnchor, zone),
      zone,
      upstream: server(options.upstream),
    }),
  );

  mkdirSync(dirname(options.logFile), { recursive: true });
  writeFileSync(options.logFile, '');
  const readLog = (): string => readFileSync(options.logFile, 'utf8');
  const version = await unboundVersion(program);

  const daemon = await startLoggedDaemon({
    name: 'unbound',
    file: program,
    args: ['-d', '-c', config],
    cwd: workDir,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    logFile: options.logFile,
    ready: READY,
    where: `on ${server(options.listen)}`,
    startTimeoutMs: START_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  }).catch((error: unknown) => {
    rmSync(pidFile, { force: true });
    throw error;
  });
  const stop = async (): Promise<void> => {
    await daemon.stop();
    // Written as root before it dropped to the unbound user, which then cannot remove it.
    rmSync(pidFile, { force: true });
  };
  return { address: options.listen.address, port: options.listen.port, version, readLog, stop };
}

/** `unbound -V`'s first line: "Version 1.17.1". */
async function unboundVersion(program: string): Promise<string> {
  const asked = await execa(program, ['-V'], { reject: false });
  return /^Version (\S+)/m.exec(asked.stdout)?.[1] ?? 'unknown';
}
