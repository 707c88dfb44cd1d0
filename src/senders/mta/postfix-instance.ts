import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { findPostfix } from './find-mta.js';
import { freePort, waitForExit, waitForListener, type MtaInstance, type MtaStartOptions, mtaOneLine as oneLine } from './mta-instance.js';
import { readPostfixLog } from './mta-log.js';
import { mtaStsSocket, startMtaStsDaemon, type MtaStsDaemon } from './mta-sts-daemon.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';
import { inResolverNamespace, writeResolvConf } from './resolver-namespace.js';
import { startSenderResolver, type SenderResolver } from './sender-resolver.js';

/**
 * Each recipe's smtp_tls_security_level, and whether its TLS policy comes from an MTA-STS
 * daemon (postfix:mta-sts: Debian's default level, with postfix-mta-sts-resolver's
 * socketmap as smtp_tls_policy_maps, harness/postfix/mta-sts.cf).
 */
const RECIPES: Record<string, { level: string; mtaSts: boolean; dane?: boolean }> = {
  may: { level: 'may', mtaSts: false },
  encrypt: { level: 'encrypt', mtaSts: false },
  verify: { level: 'verify', mtaSts: false },
  secure: { level: 'secure', mtaSts: false },
  'mta-sts': { level: 'may', mtaSts: true },
  // TLS_README "Opportunistic DANE TLS": level dane, DNSSEC lookups (harness/postfix/dane.cf),
  // through a validating resolver of its own (sender-resolver.ts).
  dane: { level: 'dane', mtaSts: false, dane: true },
};

/** Where the MTA-STS daemon's log is kept in the run directory: beside the Postfix log (senders/<label>.log). */
export function mtaStsLogFile(postfixLogFile: string): string {
  return `${postfixLogFile.replace(/\.log$/, '')}.mta-sts-daemon.log`;
}

/**
 * A private Postfix instance from harness/postfix/ (its own main.cf, master.cf, queue and
 * log under the work directory), started in the harness resolver namespace so that it
 * finds each receiver by MX lookup through the harness DNS. For postfix:mta-sts, with a
 * private mta-sts-daemon (mta-sts-daemon.ts) as its TLS policy table, started before it and
 * stopped after it; the daemon's log is kept beside the Postfix log (mtaStsLogFile).
 */
export async function startPostfix(options: MtaStartOptions): Promise<MtaInstance> {
  const { program, helper } = findPostfix();
  const recipe = RECIPES[options.recipe.variant];
  if (!recipe) throw new BadmxError(`${options.recipe.spec}: no Postfix recipe "${options.recipe.variant}"`, 'EMTA');
  const dir = options.env.workDir;
  // Postfix's daemons drop to the postfix user: they must reach the queue and own their data directory.
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  for (const sub of ['etc', 'spool', 'lib']) mkdirSync(join(dir, sub), { recursive: true });
  const postfixUser = await execa('id', ['-u', 'postfix'], { reject: false });
  const postfixGroup = await execa('id', ['-g', 'postfix'], { reject: false });
  if (postfixUser.exitCode !== 0) throw new BadmxError('the postfix user does not exist: is Postfix installed? (sudo bash harness/install-mtas.sh)', 'EMTA');
  chownSync(join(dir, 'lib'), Number(postfixUser.stdout), Number(postfixGroup.stdout));

  const port = await freePort();
  const { retrySeconds, lifetimeSeconds } = options.timers;
  const resolvConf = recipe.dane ? join(dir, 'resolv.conf') : writeResolvConf(dir, options.env.dns);
  writeFileSync(
    join(etc, 'main.cf'),
    renderTemplate(join(HARNESS_DIR, 'postfix/main.cf'), {
      level: recipe.level,
      dir,
      name: `postfix-${options.recipe.variant}`,
      hostname: options.hostname,
      caFile: options.env.caFile,
      retry: `${retrySeconds}s`,
      lifetime: `${lifetimeSeconds}s`,
    }) +
      (recipe.mtaSts ? renderTemplate(join(HARNESS_DIR, 'postfix/mta-sts.cf'), { socket: mtaStsSocket(dir) }) : '') +
      (recipe.dane ? renderTemplate(join(HARNESS_DIR, 'postfix/dane.cf'), { zone: options.env.zone }) : ''),
  );
  writeFileSync(join(etc, 'master.cf'), renderTemplate(join(HARNESS_DIR, 'postfix/master.cf'), { port }));
  writeFileSync(join(etc, 'transport'), renderTemplate(join(HARNESS_DIR, 'postfix/transport'), { zone: options.env.zone }));
  const logFile = join(dir, 'maillog');
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  // The MTA-STS daemon first, in a resolver namespace on the same harness resolv.conf:
  // Postfix asks it from its first delivery on.
  let mtaSts: MtaStsDaemon | null = null;
  // postfix:dane resolves through its own validating unbound (it writes resolvConf); the others ask the harness DNS.
  // Started last before Postfix, so that nothing between can fail and leave it running.
  const resolver: SenderResolver | null = recipe.dane ? await startSenderResolver(options.env, dir, options.recipe.spec) : null;
  if (recipe.mtaSts) {
    try {
      mtaSts = await startMtaStsDaemon({ dir, resolvConf, caFile: options.env.caFile, cacheGraceSeconds: retrySeconds });
    } catch (error) {
      throw new BadmxError(`${options.recipe.spec}: ${(error as Error).message}`, 'EMTA');
    }
  }
  const stopMtaSts = async (): Promise<void> => {
    // Its resolver too, once no smtp process is left to ask it.
    await resolver?.stop();
    if (!mtaSts) return;
    await mtaSts.stop();
    // Evidence: which policy it fetched for each domain and what it told Postfix.
    mkdirSync(dirname(options.env.logFile), { recursive: true });
    writeFileSync(mtaStsLogFile(options.env.logFile), mtaSts.readLog());
  };

  const start = inResolverNamespace(resolvConf, program, ['-c', etc, 'start']);
  const started = await execa(start.file, start.args, { reject: false, all: true });
  if (started.exitCode !== 0) {
    await stopMtaSts();
    const fatal = readLog().split('\n').filter((l) => /fatal|error/.test(l)).slice(-3).join(' | ');
    throw new BadmxError(`${options.recipe.spec}: postfix start failed: ${oneLine(started.all ?? '')} ${fatal}`.trim(), 'EMTA');
  }
  const stop = async (): Promise<void> => {
    // abort, not stop: the run is done with this sender, and a delivery still in progress
    // must not reach a receiver during the next sender's window.
    const pidFile = join(dir, 'spool', 'pid', 'master.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    await execa(program, ['-c', etc, 'abort'], { reject: false });
    if (Number.isInteger(pid) && pid > 1) await waitForExit(pid, 5_000);
    // Then its MTA-STS daemon, once no smtp process is left to ask it.
    await stopMtaSts();
  };
  try {
    await waitForListener(port, 15_000, () => oneLine(readLog().split('\n').slice(-3).join(' | ')));
  } catch (error) {
    await stop();
    throw new BadmxError(`${options.recipe.spec}: ${(error as Error).message}`, 'EMTA');
  }
  const postfixVersion = (await execa(helper ?? 'postconf', ['-c', etc, '-h', 'mail_version'], { reject: false })).stdout.trim();
  const version = mtaSts
    ? `${postfixVersion} (postfix-mta-sts-resolver ${mtaSts.version})`
    : resolver
      ? `${postfixVersion} (unbound ${resolver.unbound.version})`
      : postfixVersion;
  return { port, version, readLog, logReader: readPostfixLog, resolverAddress: resolver?.unbound.address ?? null, stop };
}

