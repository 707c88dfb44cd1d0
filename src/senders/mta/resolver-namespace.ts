import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Run a command so that its DNS goes to the harness DNS server and nowhere else, without
 * touching the machine's own /etc/resolv.conf.
 *
 * The command gets a private mount namespace (unshare(1) --mount, with private
 * propagation so nothing leaks back) in which a harness resolv.conf is bind-mounted over
 * /etc/resolv.conf: the mechanism `ip netns exec` uses for /etc/netns/<name>/resolv.conf,
 * without a network namespace. The MTA keeps the host's loopback, where the receivers
 * listen on 127.0.2.N:25 as real MX hosts would. Daemons it forks stay in the namespace.
 *
 * The resolver can only reach the harness server, which answers for the harness zone and
 * REFUSES every other name: an MTA under test cannot look up, and so cannot reach, any
 * host outside the harness. resolv.conf has no port syntax, so the server listens on 53.
 */
export function writeResolvConf(dir: string, dns: { address: string; port: number }): string {
  if (dns.port !== 53) throw new Error(`resolv.conf cannot name port ${dns.port}: the harness DNS server must listen on port 53 for a managed MTA`);
  const file = join(dir, 'resolv.conf');
  // attempts/timeout: a lookup that fails must fail fast, the server is on loopback.
  writeFileSync(file, `# badmx: the harness DNS server only\nnameserver ${dns.address}\noptions attempts:2 timeout:1\n`);
  return file;
}

export function inResolverNamespace(resolvConf: string, file: string, args: string[]): { file: string; args: string[] } {
  return {
    file: 'unshare',
    args: ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, file, ...args],
  };
}
