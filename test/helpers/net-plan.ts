/**
 * Every loopback address the test suite listens on or connects from, handed out here and
 * nowhere else. Linux routes all of 127.0.0.0/8 to `lo`, so each test file (each "owner")
 * gets a /24 of its own, `127.0.<block>.0/24`, and any port on it: Vitest runs test files in
 * parallel, and two files can then never meet on an address and port, whatever ports they
 * choose. A new test takes the next free block in this table (test/helpers/net-plan.test.ts
 * checks that no block is handed out twice and that no test writes an address of its own).
 *
 * Left out on purpose:
 * - 127.0.0.1 with port 0 (the kernel picks a free port): free for all;
 * - 127.0.2.x: the product's default fleet addresses, written as data (zone contents, expected
 *   output) or used inside a network namespace of the test's own, where nothing else listens;
 * - 127.0.53.x: the managed senders' resolvers (src/senders/mta/sender-resolver.ts) and the
 *   benches' blocks below (`RESERVED`), which never run beside the tests.
 */
const BLOCKS = {
  'abuse/smtp-abuse': [150, 151],
  'cli/exec': [47],
  'cli/long-runs': [215],
  'cli/run': [62, 63],
  'cli/cache-dir': [102],
  'cli/run-as': [83],
  'cli/run-formats': [101],
  'cli/serve': [100],
  'cli/serve-dns': [48],
  'dns/dane-zone': [206],
  'dns/dns-fuzz': [132],
  'dns/dns-hardening': [131],
  'dns/dns-server': [8],
  'dns/dnssec-server': [204],
  'dns/zone-file-agreement': [71],
  'evidence/client-hello': [214],
  'evidence/record-samples': [221],
  'evidence/tls-fingerprint': [220],
  'harness/dane-recipes': [207],
  'harness/mta-recipes': [9],
  'harness/mta-sts-resolver': [193],
  'harness/opensmtpd-recipes': [190],
  'harness/revoked-recipes': [213],
  'harness/sendmail-recipes': [191],
  'harness/tampering-recipes': [211],
  'harness/unbound': [205],
  'harness/weak-crypto-recipes': [209],
  'library/api': [154],
  'mta-sts/policy-host': [195],
  'mta-sts/public-policy-host': [201],
  'mta-sts/report-intake': [203],
  'mta-sts/shared-schedule': [202],
  'mta-sts/suite-senders': [196],
  'mta-sts/tlsrpt-cli': [200],
  'package/describe-matrix': [7, 155],
  'receivers/bad-input': [13],
  'receivers/deadlines': [144],
  'receivers/event-budget': [146, 147, 148],
  'receivers/file-modes': [139],
  'receivers/fleet': [14],
  'receivers/lockout': [140, 141, 142, 143],
  'receivers/nodemailer': [11],
  'receivers/peer-limits': [82],
  'receivers/profiles-openssl': [10],
  'receivers/public-certificate-openssl': [80, 81],
  'receivers/recorder': [12],
  'receivers/revoked-openssl': [212],
  'receivers/shed-policy': [153],
  'receivers/store-cap': [152],
  'receivers/tampering-profiles': [210],
  'receivers/weak-crypto-openssl': [208],
  'report/html-report': [197],
  'run/builtin-matrix': [18],
  'run/builtin-tampering': [219],
  'run/concurrent-senders': [172, 178],
  'run/crash-resume': [103],
  'run/judge-run': [171],
  'run/public-caveats': [84, 85],
  'run/run-hops': [95],
  'run/settle': [179, 180],
  'run/untested-cells': [120],
  'senders/smtp-postfix': [16],
} as const satisfies Record<string, readonly number[]>;

/** Blocks the benchmarks use (bench/*.ts), never beside the tests, and the senders' resolvers: not to be handed out. */
export const RESERVED_BLOCKS: readonly number[] = [0, 1, 2, 30, 31, 32, 40, 53, 145, 149, 160];

export type NetOwner = keyof typeof BLOCKS;

/** An owner's addresses: its `index`-th block (most owners have one). */
export interface TestNet {
  block: number;
  /** `127.0.<block>.0`: what `--address-base` and startTestFleet's addressBase take. */
  base: string;
  /** `127.0.<block>.<host>`, host 1 to 254. */
  host(host: number): string;
}

export function testNet(owner: NetOwner, index = 0): TestNet {
  const blocks: readonly number[] = BLOCKS[owner];
  const block = blocks[index];
  if (block === undefined) throw new Error(`net-plan: ${owner} has ${blocks.length} block(s), not a block ${index}: add one to BLOCKS in test/helpers/net-plan.ts`);
  return {
    block,
    base: `127.0.${block}.0`,
    host(host: number): string {
      if (!Number.isInteger(host) || host < 1 || host > 254) throw new Error(`net-plan: host ${host} is not in 1..254`);
      return `127.0.${block}.${host}`;
    },
  };
}

/** The whole table, for the check that no block is handed out twice. */
export function netPlan(): ReadonlyMap<NetOwner, readonly number[]> {
  return new Map(Object.entries(BLOCKS) as [NetOwner, readonly number[]][]);
}
