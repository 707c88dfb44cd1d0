import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { waitForListener } from '../../src/senders/mta/mta-instance.js';

/**
 * A real Postfix from Debian, run as a private instance (its own config, queue and log
 * in a temp directory, listening on 127.0.0.1:<port>), used as the relay behind the
 * `smtp:` sender. Its transport table sends each profile's domain to that profile's
 * receiver, so no DNS is needed. Needs root, like any Postfix.
 */
export interface PostfixRelay {
  dir: string;
  port: number;
  version: string;
  log(): string;
  stop(): Promise<void>;
}

export const POSTFIX = '/usr/sbin/postfix';

export function postfixMissing(): string | null {
  if (!existsSync(POSTFIX)) return 'Postfix is not installed (apt-get install postfix; .ci/run does this)';
  if (process.getuid?.() !== 0) return 'Postfix needs root to run';
  return null;
}

export async function startPostfixRelay(options: {
  port: number;
  routes: { domain: string; address: string; port: number }[];
  securityLevel: 'may' | 'encrypt' | 'verify' | 'secure' | 'none';
  caFile?: string;
}): Promise<PostfixRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-postfix-'));
  // Postfix's daemons drop to the postfix user: they must be able to reach the queue, and own their data directory.
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  mkdirSync(join(dir, 'spool'));
  mkdirSync(join(dir, 'lib'));
  const uid = Number((await execa('id', ['-u', 'postfix'])).stdout);
  const gid = Number((await execa('id', ['-g', 'postfix'])).stdout);
  chownSync(join(dir, 'lib'), uid, gid);
  writeFileSync(join(etc, 'transport'), options.routes.map((r) => `${r.domain} smtp:[${r.address}]:${r.port}`).join('\n') + '\n');
  writeFileSync(
    join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/spool`,
      `data_directory = ${dir}/lib`,
      'daemon_directory = /usr/lib/postfix/sbin',
      'meta_directory = /etc/postfix',
      'shlib_directory = /usr/lib/postfix',
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = relay.badmx.invalid',
      'mydomain = badmx.invalid',
      'myorigin = $myhostname',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      'relay_domains =',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      'alias_maps =',
      'alias_database =',
      'local_recipient_maps =',
      `transport_maps = texthash:${etc}/transport`,
      `smtp_tls_security_level = ${options.securityLevel}`,
      ...(options.caFile ? [`smtp_tls_CAfile = ${options.caFile}`] : []),
      'smtp_tls_loglevel = 1',
      // one connection per probe, so each cell's evidence is its own
      'smtp_connection_cache_on_demand = no',
      // short retry timers for a test run (stock: 300s / 4000s / 5d)
      'queue_run_delay = 2s',
      'minimal_backoff_time = 2s',
      'maximal_backoff_time = 4s',
      'maximal_queue_lifetime = 2m',
      'bounce_queue_lifetime = 2m',
      'biff = no',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${dir}/maillog`,
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(etc, 'master.cf'),
    [
      `127.0.0.1:${options.port} inet n - n - - smtpd`,
      'pickup    unix  n - n 60 1 pickup',
      'cleanup   unix  n - n - 0 cleanup',
      'qmgr      unix  n - n 300 1 qmgr',
      'tlsmgr    unix  - - n 1000? 1 tlsmgr',
      'rewrite   unix  - - n - - trivial-rewrite',
      'bounce    unix  - - n - 0 bounce',
      'defer     unix  - - n - 0 bounce',
      'trace     unix  - - n - 0 bounce',
      'verify    unix  - - n - 1 verify',
      'flush     unix  n - n 1000? 0 flush',
      'proxymap  unix  - - n - - proxymap',
      'smtp      unix  - - n - - smtp',
      'relay     unix  - - n - - smtp',
      'showq     unix  n - n - - showq',
      'error     unix  - - n - - error',
      'retry     unix  - - n - - error',
      'discard   unix  - - n - - discard',
      'local     unix  - n n - - local',
      'anvil     unix  - - n - 1 anvil',
      'scache    unix  - - n - 1 scache',
      'postlog   unix-dgram n - n - 1 postlogd',
    ].join('\n') + '\n',
  );
  const postfix = (...args: string[]) => execa(POSTFIX, ['-c', etc, ...args], { reject: false, all: true });
  const started = await postfix('start');
  if (started.exitCode !== 0) {
    const log = existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '';
    throw new Error(`postfix start failed: ${started.all ?? ''} ${log.split('\n').filter((l) => /fatal|error/.test(l)).join(' | ')}`);
  }
  await waitForListener(options.port, 15_000, () => 'postfix did not start listening');
  const version = (await execa('postconf', ['-c', etc, '-h', 'mail_version'])).stdout.trim();
  return {
    dir,
    port: options.port,
    version,
    log: () => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : ''),
    async stop() {
      await postfix('stop');
    },
  };
}
