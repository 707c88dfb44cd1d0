import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BadmxError } from '../../errors.js';
import { freePort, waitForExit, waitForListener, type MtaInstance, type MtaStartOptions, mtaOneLine as oneLine } from './mta-instance.js';
import { HARNESS_DIR, renderTemplate } from './render-template.js';
import { inResolverNamespace, writeResolvConf } from './resolver-namespace.js';
import { readSendmailLog } from './sendmail-log.js';

/** What a missing Sendmail says to do (harness/install-mtas.sh runs harness/install-sendmail.sh). */
const INSTALL_SENDMAIL = 'run "sudo bash harness/install-mtas.sh" (it unpacks Debian\'s sendmail into a cache with harness/install-sendmail.sh, since the package conflicts with Postfix)';

/** In the namespace ($0: the work directory): its own /etc/hosts, then "$@". */
const PRIVATE_FILES = 'd="$0"; mount --bind "$d/hosts" /etc/hosts || exit 1';

/** What each recipe variant adds to Debian's sendmail.mc where it would include starttls.m4. */
const TLS_INCLUDE: Record<string, boolean> = { default: false, starttls: true };

/** Where harness/install-sendmail.sh unpacks Sendmail (BADMX_CACHE overrides /var/cache/badmx). */
export function sendmailCacheDir(): string {
  return join(process.env.BADMX_CACHE ?? '/var/cache/badmx', 'sendmail');
}

/** The sendmail binary, makemap and the cf tree; BADMX_SENDMAIL names the unpacked root (the cache directory). */
export function findSendmail(): { program: string; makemap: string; cf: string; etc: string } {
  const root = process.env.BADMX_SENDMAIL ?? sendmailCacheDir();
  const program = join(root, 'usr/libexec/sendmail/sendmail');
  const cf = join(root, 'usr/share/sendmail/cf');
  if (!existsSync(program) || !existsSync(join(cf, 'm4/cf.m4'))) {
    throw new BadmxError(`Sendmail is not installed (looked for ${program} and ${cf}): ${INSTALL_SENDMAIL}`, 'EMTA');
  }
  return { program, makemap: join(root, 'usr/libexec/sendmail/makemap'), cf, etc: join(root, 'etc/mail') };
}

/**
 * A private Sendmail instance from harness/sendmail/ (Debian's sendmail.mc built into a
 * sendmail.cf with m4, its own queue, pid file, status file and settings directory under
 * the work directory; -C, so /etc/mail is never read), run in the foreground (-bD) with
 * a queue runner at the retry interval, in the harness resolver namespace so that it
 * finds each receiver by MX lookup through the harness DNS.
 *
 * Sendmail logs only through syslog(3), to /dev/log. In its private mount namespace
 * /dev is a tmpfs of links to the real devices, and /dev/log a link to a unix socket in
 * the work directory on which this process receives its log lines (glibc falls back to a
 * stream socket when the datagram connect fails, each message ending with a NUL).
 */
export async function startSendmail(options: MtaStartOptions): Promise<MtaInstance> {
  const { program, makemap, cf, etc: debianEtc } = findSendmail();
  const tls = TLS_INCLUDE[options.recipe.variant];
  if (tls === undefined) throw new BadmxError(`${options.recipe.spec}: no Sendmail recipe variant "${options.recipe.variant}"`, 'EMTA');
  for (const user of ['smmta', 'smmsp']) {
    const found = await execa('id', [user], { reject: false });
    if (found.exitCode !== 0) throw new BadmxError(`the ${user} user does not exist: ${INSTALL_SENDMAIL}`, 'EMTA');
  }
  const dir = options.env.workDir;
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  for (const sub of ['etc', 'queue', 'host_status']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  chmodSync(join(dir, 'queue'), 0o700);
  // Debian's stock settings files (update_db: examples/db/access; service.switch and helpfile as shipped).
  copyFileSync(join(debianEtc, 'service.switch'), join(etc, 'service.switch'));
  copyFileSync(join(debianEtc, 'helpfile'), join(etc, 'helpfile'));
  copyFileSync(join(cf, '../examples/db/access'), join(etc, 'access'));
  writeFileSync(join(etc, 'local-host-names'), '');
  writeFileSync(join(etc, 'aliases'), '');
  writeFileSync(join(dir, 'sendmail.st'), '');

  let include = '';
  if (tls) {
    await makeDebianCertificates(join(dir, 'tls'), options.hostname, options.env.zone);
    // Debian's confCACERT (its own server certificate), then the harness test root.
    // The system store stays confCACERT_PATH (/etc/ssl/certs), as Debian's starttls.m4 has it.
    writeFileSync(join(dir, 'tls', 'cacert.pem'), [readFileSync(join(dir, 'tls', 'sendmail-server.crt'), 'utf8'), readFileSync(options.env.caFile, 'utf8')].join('\n'));
    writeFileSync(join(dir, 'starttls.m4'), renderTemplate(join(HARNESS_DIR, 'sendmail/starttls.m4'), { dir }));
    include = `include(\`${join(dir, 'starttls.m4')}')`;
  }

  const port = await freePort();
  const { retrySeconds, lifetimeSeconds } = options.timers;
  const mc = join(dir, 'sendmail.mc');
  writeFileSync(
    mc,
    renderTemplate(join(HARNESS_DIR, 'sendmail/sendmail.mc'), {
      cf,
      dir,
      hostname: options.hostname,
      port,
      zone: options.env.zone,
      retry: `${retrySeconds}s`,
      lifetime: `${lifetimeSeconds}s`,
      tls: include,
    }),
  );
  const built = await execa('m4', [mc], { reject: false });
  if (built.exitCode !== 0 || built.stderr.trim()) throw new BadmxError(`${options.recipe.spec}: m4 could not build sendmail.cf: ${oneLine(built.stderr)}`, 'EMTA');
  const config = join(dir, 'sendmail.cf');
  writeFileSync(config, built.stdout);
  // Debian's update_db builds access.db from it (makemap reads sendmail.cf: -C names ours).
  const access = await execa(makemap, ['-C', config, 'hash', join(etc, 'access')], { inputFile: join(etc, 'access'), reject: false, all: true });
  if (access.exitCode !== 0) throw new BadmxError(`${options.recipe.spec}: makemap access failed: ${oneLine(access.all ?? '')}`, 'EMTA');

  // The version, and a check that sendmail reads the configuration: a bad recipe is one clear line.
  // In the resolver namespace too: sendmail canonifies the machine's name when it starts.
  const resolvConf = writeResolvConf(dir, options.env.dns);
  // DEVIATION (listed in mta-software.ts): the machine's own name qualifies, in the
  // namespace's /etc/hosts, to the instance's name, as Debian's installer writes
  // "127.0.1.1 <fqdn> <hostname>". Sendmail canonifies the machine's name at every start
  // and, when it cannot (a bare "vm" the harness DNS does not know), sleeps 60 s.
  writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${options.hostname} ${hostname().split('.')[0] ?? 'localhost'}\n`);
  const test = inResolverNamespace(resolvConf, '/bin/sh', ['-c', `${PRIVATE_FILES}\nexec "$@"`, dir, program, '-C', config, '-d0.1', '-bt']);
  const checked = await execa(test.file, test.args, { stdin: 'ignore', reject: false, all: true, timeout: 30_000 });
  const version = /^Version (\S+)/m.exec(checked.all ?? '')?.[1];
  if (checked.exitCode !== 0 || !version) throw new BadmxError(`${options.recipe.spec}: sendmail rejects its configuration (exit ${checked.exitCode}): ${oneLine((checked.all ?? '').replace(/^[\s\S]*?XDEBUG/, ''))}`, 'EMTA');

  // The socket sits in a directory only its owner can list, under a name nobody can guess: any
  // local user who could write to it could forge the log lines that settle a probe.
  const syslogDir = join(dir, `syslog-${randomBytes(12).toString('hex')}`);
  mkdirSync(syslogDir, { mode: 0o711 });
  chmodSync(syslogDir, 0o711);
  const log = await listenForSyslog(join(syslogDir, 'log.sock'));
  const readLog = (): string => log.lines.join('');

  // Inside the namespace: a private /dev whose log is the socket above, then the daemon.
  const script = [
    PRIVATE_FILES,
    'mkdir -p "$d/hostdev" && mount --rbind /dev "$d/hostdev" && mount -t tmpfs -o mode=755 badmx-dev /dev || exit 1',
    'for e in "$d"/hostdev/*; do ln -s "$e" /dev/; done',
    'ln -s "$SYSLOG_SOCKET" /dev/log',
    'exec "$@"',
  ].join('\n');
  // -bD: the daemon in the foreground (its children stay in the namespace); -q: a queue runner at the retry interval.
  const start = inResolverNamespace(resolvConf, '/bin/sh', ['-c', script, dir, program, '-C', config, '-bD', `-q${retrySeconds}s`]);
  const child = spawn(start.file, start.args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SYSLOG_SOCKET: join(syslogDir, 'log.sock') } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.on('error', (error) => {
    stderr += error.message;
  });
  const daemonPid = child.pid ?? NaN;
  // Every process of the instance lives in its mount namespace, whatever session its queue
  // runners and deliveries start: that namespace names them all.
  // Never the harness's own namespace: stop() signals every process in the instance's.
  const ownNamespace = readlinkSync('/proc/self/ns/mnt');
  let namespace = '';
  const learnNamespace = (): void => {
    try {
      const seen = readlinkSync(`/proc/${daemonPid}/ns/mnt`);
      if (seen !== ownNamespace) namespace = seen;
    } catch {
      // not started yet, or gone
    }
  };
  const stop = async (): Promise<void> => {
    learnNamespace();
    const inInstance = (): number[] => (namespace && namespace !== ownNamespace ? processesIn(namespace) : Number.isInteger(daemonPid) ? [daemonPid] : []);
    const pids = inInstance();
    for (const pid of pids) signal(pid, 'SIGTERM');
    for (const pid of pids) await waitForExit(pid, 3_000);
    // A delivery still in progress must not reach a receiver during the next sender's window.
    for (let round = 0; round < 5; round++) {
      const left = inInstance().filter((pid) => pid !== process.pid);
      if (left.length === 0) break;
      for (const pid of left) signal(pid, 'SIGKILL');
      for (const pid of left) await waitForExit(pid, 1_000);
    }
    // A process killed with its connection open would keep the server from closing.
    for (const socket of log.sockets) socket.destroy();
    await new Promise<void>((resolve) => log.server.close(() => resolve()));
    rmSync(syslogDir, { recursive: true, force: true });
  };
  try {
    await waitForListener(port, 15_000, () => oneLine(`${stderr} ${readLog().split('\n').slice(-3).join(' | ')}`));
    learnNamespace();
    if (!namespace) throw new Error('sendmail did not get its own mount namespace');
  } catch (error) {
    await stop();
    throw new BadmxError(`${options.recipe.spec}: ${(error as Error).message}`, 'EMTA');
  }
  return { port, version, readLog, logReader: readSendmailLog, stop };
}

/**
 * The certificates Debian's /usr/share/sendmail/update_tls makes: one 2048-bit RSA key
 * shared by a self-signed server and client certificate (CN = the host's FQDN, here the
 * instance's name), and DH parameters from openssl dsaparam/dhparam.
 */
async function makeDebianCertificates(tlsDir: string, fqdn: string, zone: string): Promise<void> {
  mkdirSync(tlsDir, { recursive: true, mode: 0o755 });
  // update_tls's SSL_EMAIL is admin@<mail name>; its openssl config caps the field at 40
  // bytes (emailAddress_max), which the instance names exceed (update_tls would silently
  // make no certificate), so the zone stands in for the mail name there.
  const email = `admin@${fqdn}`.length <= 40 ? `admin@${fqdn}` : `admin@${zone}`;
  const env = { SSL_FQDN: fqdn, SSL_EMAIL: email };
  const serverCfg = join(tlsDir, 'sendmail-server.cfg');
  const clientCfg = join(tlsDir, 'sendmail-client.cfg');
  writeFileSync(serverCfg, UPDATE_TLS_CONFIG, { mode: 0o600 });
  writeFileSync(clientCfg, UPDATE_TLS_CONFIG.replace('Sendmail Server', 'Sendmail Client'), { mode: 0o600 });
  const noPrompt = join(tlsDir, 'no_prompt');
  writeFileSync(noPrompt, '\n'.repeat(7));
  const prm = join(tlsDir, 'sendmail-common.prm');
  const key = join(tlsDir, 'sendmail-common.key');
  const openssl = (args: string[], inputFile?: string) => execa('openssl', args, { env, all: true, ...(inputFile ? { inputFile } : {}) });
  await openssl(['dsaparam', '-out', prm, '2048']);
  const dh = await openssl(['dhparam', '-dsaparam', '-in', prm]);
  writeFileSync(prm, `${readFileSync(prm, 'utf8')}${dh.stdout}\n`, { mode: 0o640 });
  await openssl(['genrsa', '-out', key, '2048']);
  chmodSync(key, 0o640);
  for (const [cfg, name] of [
    [serverCfg, 'server'],
    [clientCfg, 'client'],
  ] as const) {
    const csr = join(tlsDir, `sendmail-${name}.csr`);
    const crt = join(tlsDir, `sendmail-${name}.crt`);
    await openssl(['req', '-new', '-config', cfg, '-key', key, '-out', csr], noPrompt);
    await openssl(['x509', '-req', '-extfile', cfg, '-signkey', key, '-in', csr, '-out', crt, '-days', '3650']);
    chmodSync(crt, 0o644);
  }
}

/** update_tls's create_config, verbatim. */
const UPDATE_TLS_CONFIG = `[ ca ]
default_days	= 3650
x509_extensions = X509v3
[ req ]
default_bits					= 2048
distinguished_name				= req_DN
[ req_DN ]
countryName						= "1. Country Name			   (2 letter code)"
countryName_min					= 2
countryName_max					= 2
countryName_default				=
stateOrProvinceName				= "2. State or Province Name   (full name)	  "
stateOrProvinceName_default		=
localityName					= "3. Locality Name			   (eg, city)	  "
localityName_default			=
0.organizationName				= "4. Organization Name		   (eg, company)  "
0.organizationName_default		= Sendmail
organizationalUnitName			= "5. Organizational Unit Name (eg, section)  "
organizationalUnitName_default	= Sendmail Server
commonName						= "6. Common Name			   (MUST==FQDN)   "
commonName_max					= 64
commonName_default				= $ENV::SSL_FQDN
emailAddress					= "7. Email Address			   (eg, name@FQDN)"
emailAddress_max				= 40
emailAddress_default			= $ENV::SSL_EMAIL
[ x509v3 ]
subjectAltName	 = email:copy
issuerAltName	 = issuer:copy
basicConstraints = CA:false
nsComment		 = "Sendmail generated custom certificate"
nsCertType		 = server
nsSslServerName  = $ENV::SSL_FQDN
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer:always
`;

/** A unix stream socket that collects syslog(3) messages, one line each, without their <priority>. */
async function listenForSyslog(path: string): Promise<{ server: Server; lines: string[]; sockets: Set<Socket> }> {
  rmSync(path, { force: true });
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const messages = pending.split(/\0|\n/);
      pending = messages.pop() ?? '';
      for (const message of messages) if (message.trim()) lines.push(`${message.replace(/^<\d+>/, '')}\n`);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // sendmail's deliveries run as other users: they too must be able to log.
  chmodSync(path, 0o666);
  return { server, lines, sockets };
}

function processesIn(namespace: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/mnt`) === namespace) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

