import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { findExim } from './find-mta.js';
import { freePort, waitForExit, waitForListener, type MtaInstance, type MtaStartOptions, signalGroup, mtaOneLine as oneLine } from './mta-instance.js';
import { readEximLog } from './mta-log.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';
import { inResolverNamespace, writeResolvConf } from './resolver-namespace.js';
import { startSenderResolver } from './sender-resolver.js';

/** Debian's run-time user for Exim: the daemon and remote deliveries run as it. */
const EXIM_USER = 'Debian-exim';
/** The system trust store, which Exim's default (tls_verify_certificates = system) uses. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Each recipe's additions to Debian's configuration: main section, dnslookup router, smtp
 * transport; "default" adds nothing. exim:dane is DANE as the Exim specification's chapter 42
 * ("DANE") sets it up: DNSSEC requested of the resolver (dns_dnssec_ok = 1) for every lookup the
 * router makes (dnssec_request_domains = *, so the MX and address records can be secure), and
 * hosts_try_dane = * on the transport: DANE where the TLSA records are secure, else as before.
 */
const RECIPES: Record<string, { main?: string[]; router?: string[]; transport: string[]; dane?: boolean }> = {
  default: { transport: [] },
  strict: { transport: ['  hosts_require_tls = *', '  tls_verify_hosts = *'] },
  dane: { main: ['dns_dnssec_ok = 1'], router: ['  dnssec_request_domains = *'], transport: ['  hosts_try_dane = *'], dane: true },
};

/**
 * A private Exim instance from harness/exim/exim.conf (-C, its own spool and log under
 * the work directory), started as a daemon with a queue runner in the harness resolver
 * namespace so that it finds each receiver by MX lookup through the harness DNS.
 */
export async function startExim(options: MtaStartOptions): Promise<MtaInstance> {
  const { program } = findExim();
  const policy = RECIPES[options.recipe.variant];
  if (!policy) throw new BadmxError(`${options.recipe.spec}: no Exim TLS policy for "${options.recipe.variant}"`, 'EMTA');
  const dir = options.env.workDir;
  const ids = await execa('id', [EXIM_USER], { reject: false });
  if (ids.exitCode !== 0) throw new BadmxError(`the ${EXIM_USER} user does not exist: run "sudo bash harness/install-mtas.sh"`, 'EMTA');
  const uid = Number((await execa('id', ['-u', EXIM_USER])).stdout);
  const gid = Number((await execa('id', ['-g', EXIM_USER])).stdout);
  // Exim's daemon runs as Debian-exim: it must reach its spool and log below the work directory.
  chmodSync(dir, 0o755);
  for (const sub of ['spool', 'log']) {
    mkdirSync(join(dir, sub), { recursive: true });
    chownSync(join(dir, sub), uid, gid);
  }
  // Trust the harness root in addition to the system store (the stock default).
  const caFile = join(dir, 'ca-bundle.pem');
  writeFileSync(caFile, [existsSync(SYSTEM_BUNDLE) ? readFileSync(SYSTEM_BUNDLE, 'utf8') : '', readFileSync(options.env.caFile, 'utf8')].join('\n'));

  const port = await freePort();
  const config = join(dir, 'exim.conf');
  writeFileSync(
    config,
    renderTemplate(join(HARNESS_DIR, 'exim/exim.conf'), {
      hostname: options.hostname,
      program,
      dir,
      port,
      zone: options.env.zone,
      caFile,
      mainPolicy: (policy.main ?? []).join('\n'),
      routerPolicy: (policy.router ?? []).join('\n'),
      tlsPolicy: policy.transport.join('\n'),
      retry: `${options.timers.retrySeconds}s`,
      lifetime: `${options.timers.lifetimeSeconds}s`,
    }),
  );
  const logFile = join(dir, 'log', 'mainlog');
  const panicLog = join(dir, 'log', 'paniclog');
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const panic = (): string => (existsSync(panicLog) ? readFileSync(panicLog, 'utf8').trim().split('\n').slice(-2).join(' | ') : '');

  // Check the configuration first: a bad recipe is one clear line, not a silent daemon.
  const checked = await execa(program, ['-C', config, '-bV'], { reject: false, all: true });
  if (checked.exitCode !== 0) throw new BadmxError(`${options.recipe.spec}: exim rejects its configuration: ${oneLine(checked.all ?? '')}`, 'EMTA');
  const version = /Exim version (\S+)/.exec(checked.all ?? '')?.[1] ?? 'unknown';

  // -bd: daemon (it forks and stays in the namespace); -q<interval>: queue runner at the retry interval.
  // exim:dane resolves through its own validating unbound (sender-resolver.ts); the others ask the harness DNS.
  const resolver = policy.dane ? await startSenderResolver(options.env, dir, options.recipe.spec) : null;
  const resolvConf = resolver?.resolvConf ?? writeResolvConf(dir, options.env.dns);
  const start = inResolverNamespace(resolvConf, program, ['-C', config, '-bd', `-q${options.timers.retrySeconds}s`]);
  const started = await execa(start.file, start.args, { reject: false, all: true });
  if (started.exitCode !== 0) {
    await resolver?.stop();
    throw new BadmxError(`${options.recipe.spec}: exim did not start: ${oneLine(started.all ?? '')} ${panic()}`.trim(), 'EMTA');
  }
  const stop = async (): Promise<void> => {
    await stopExim();
    // Its resolver last, once no delivery is left to ask it.
    await resolver?.stop();
  };
  const stopExim = async (): Promise<void> => {
    const pidFile = join(dir, 'exim.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (!Number.isInteger(pid) || pid <= 1) return;
    // The daemon leads its own process group (it calls setsid); its queue runners and
    // deliveries are in it too. Stop them all: a delivery still in progress must not
    // reach a receiver during the next sender's window.
    signalGroup(pid, 'SIGTERM');
    if (!(await waitForExit(pid, 5_000))) signalGroup(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
    signalGroup(pid, 'SIGKILL');
  };
  try {
    await waitForListener(port, 15_000, () => panic() || oneLine(readLog().split('\n').slice(-3).join(' | ')));
  } catch (error) {
    await stop();
    throw new BadmxError(`${options.recipe.spec}: ${(error as Error).message}`, 'EMTA');
  }
  return { port, version: resolver ? `${version} (unbound ${resolver.unbound.version})` : version, readLog, logReader: readEximLog, resolverAddress: resolver?.unbound.address ?? null, stop };
}


