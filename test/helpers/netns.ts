import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';

/**
 * A network namespace of the test's own: its loopback up and one documentation address
 * (RFC 5737 TEST-NET-1) on it, playing a public host. Nothing in it can reach the outside
 * world: it has no other interface. `ip netns exec` gives its commands the namespace's
 * own /etc/netns/<name>/resolv.conf, the mechanism public mode documents.
 */
export interface TestNamespace {
  name: string;
  address: string;
  exec(file: string, args: string[]): { file: string; args: string[] };
  remove(): Promise<void>;
}

export async function createNamespace(name: string, address: string, nameserver: string): Promise<TestNamespace> {
  await execa('ip', ['netns', 'del', name], { reject: false });
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  await execa('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo']);
  const etc = `/etc/netns/${name}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(`${etc}/resolv.conf`, `nameserver ${nameserver}\noptions attempts:2 timeout:1\n`);
  return {
    name,
    address,
    exec: (file, args) => ({ file: 'ip', args: ['netns', 'exec', name, file, ...args] }),
    async remove() {
      await execa('ip', ['netns', 'pids', name], { reject: false }).then(async (r) => {
        for (const pid of r.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', pid], { reject: false });
      });
      await execa('ip', ['netns', 'del', name], { reject: false });
      rmSync(etc, { recursive: true, force: true });
    },
  };
}

export function netnsMissing(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  return null;
}
