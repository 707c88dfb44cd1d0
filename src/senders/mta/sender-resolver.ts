import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadmxError } from '../../errors.js';
import type { SenderEnvironment } from '../sender.js';
import { startUnbound, type UnboundInstance } from './unbound-instance.js';

/**
 * A validating resolver of a sender's own: a private unbound (unbound-instance.ts) in front of
 * the harness DNS, trusting only the harness zone's DS, so that the AD bit the sender sees is
 * earned (DANE needs it: RFC 7672 §2.1). Each sender has its own, on its own loopback address,
 * from which it also queries the harness DNS: the DNS query log then tells this sender's
 * lookups (its TLSA queries above all) from every other's, even when senders run side by side.
 */
export interface SenderResolver {
  unbound: UnboundInstance;
  /** A resolv.conf naming it, with `options trust-ad` (see resolvConfFor). */
  resolvConf: string;
  stop(): Promise<void>;
}

/** Where resolvers for senders listen: 127.0.53.1-250 (port 53, which resolv.conf cannot change). */
const RESOLVER_NET = '127.0.53.';
const RESOLVER_HOSTS = 250;

/** Where the sender's resolver log is kept in the run directory: beside its own log. */
export function resolverLogFile(senderLogFile: string): string {
  return `${senderLogFile.replace(/\.log$/, '')}.unbound.log`;
}

/**
 * Start it in `<dir>/unbound`, on the first free address of 127.0.53.0/24 from a random one
 * (senders and test files start side by side; a taken address makes unbound fail to bind:
 * so-reuseport is off, and the next is tried).
 */
export async function startSenderResolver(env: SenderEnvironment, dir: string, spec: string): Promise<SenderResolver> {
  if (!env.trustAnchor) throw new BadmxError(`${spec} validates DNSSEC, and the run gave it no trust anchor for ${env.zone}`, 'EMTA');
  const first = Math.floor(Math.random() * RESOLVER_HOSTS);
  let lastError: unknown = null;
  for (let i = 0; i < RESOLVER_HOSTS; i++) {
    const address = `${RESOLVER_NET}${((first + i) % RESOLVER_HOSTS) + 1}`;
    try {
      const unbound = await startUnbound({
        workDir: join(dir, 'unbound'),
        listen: { address, port: 53 },
        zone: env.zone,
        trustAnchor: env.trustAnchor,
        upstream: env.dns,
        logFile: resolverLogFile(env.logFile),
      });
      const resolvConf = join(dir, 'resolv.conf');
      writeFileSync(resolvConf, resolvConfFor(address));
      return { unbound, resolvConf, stop: () => unbound.stop() };
    } catch (error) {
      lastError = error;
      if (!/Address already in use|Cannot assign requested address/i.test((error as Error).message)) break;
    }
  }
  throw new BadmxError(`${spec}: its validating resolver did not start: ${(lastError as Error | null)?.message ?? 'no free address in 127.0.53.0/24'}`, 'EMTA');
}

/**
 * resolv.conf(5) for a validating resolver on loopback. `trust-ad`: glibc 2.31 and later clear
 * the AD bit of every answer unless told the name servers are trusted ("options trust-ad"), so
 * without it an MTA asking through libc may never see an answer as secure (Postfix asks for
 * RES_TRUSTAD itself; with the option, every MTA sees the bit). attempts/timeout: a failed lookup
 * fails fast on loopback.
 */
export function resolvConfFor(address: string): string {
  return `# badmx: the sender's own validating resolver (unbound)\nnameserver ${address}\noptions trust-ad attempts:2 timeout:2\n`;
}
