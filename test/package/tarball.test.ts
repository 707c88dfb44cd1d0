import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { createNamespace, netnsMissing, type TestNamespace } from '../helpers/netns.js';
import { postfixMissing } from '../helpers/postfix.js';
import { descendants, parseXml } from '../helpers/xml.js';
import {
  EXAMPLE,
  JUNIT_FILE,
  ROOT,
  RUN_MATRIX_STEP,
  START_RELAY_STEP,
  VITEST_COMMAND,
  githubJob,
  githubStep,
  gitlabJob,
  gitlabScript,
} from './recipes.js';

/**
 * badmx the way a user gets it: `npm pack`, installed into a scratch project from the tarball,
 * type-checked there by tsc, and the documented example (docs/examples/relay.test.ts, copied as
 * is) run green by Vitest against a real Postfix relay, started by the CI recipes' own shell
 * (docs/ci/). Everything that listens does so in a network namespace of this test's own, so the
 * example's defaults (receivers on 127.0.2.x:25, the harness DNS on 127.0.2.253:53, the relay on
 * localhost:587) collide with no other test. The relay finds each receiver by MX through the
 * harness DNS, trusts the test root, and bounces what it refuses, as in production.
 *
 * Never skipped: without root, Postfix or ip(8) it fails, saying what is missing.
 */

const NS = `badmx-pkg-${process.pid}`;
const SUITE = 'our relay';
const SENDER = 'localhost:587';
const EXAMPLE_PROFILES = ['no-starttls', 'starttls-454', 'tls1.2', 'expired'];

let work: string;
let project: string;
let tarball: string;
let ns: TestNamespace;
const relays: string[] = [];
let hostResolvConf: string;

/** The versions this repository tests with, so that the scratch install comes from the npm cache. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** A shell in the scratch project, as CI's: a clean environment, root, with `sudo` a no-op (the tests are root already). */
function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${join(work, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    CI: 'true',
    NO_COLOR: '1',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** A script run in the namespace with the scratch project as its working directory, as GitHub runs a step (bash -e, pipefail). */
async function inNamespace(script: string, env: Record<string, string> = {}, timeout = 120_000): Promise<Result<{ all: true; reject: false }>> {
  const command = ns.exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script]);
  return await execa(command.file, command.args, { cwd: project, env: shellEnv(env), extendEnv: false, all: true, reject: false, timeout });
}

async function inProject(file: string, args: string[], timeout: number): Promise<Result<{ all: true; reject: false }>> {
  return await execa(file, args, { cwd: project, env: shellEnv(), extendEnv: false, all: true, reject: false, timeout });
}

function relayDir(name: string): string {
  const dir = join(work, name);
  relays.push(dir);
  return dir;
}

function readRun(): RunDocument {
  return JSON.parse(readFileSync(join(project, 'reports/badmx/our-relay/run.json'), 'utf8')) as RunDocument;
}

/** The JUnit testcases Vitest wrote: name, and the failure message when one failed. */
function junitCases(file: string): { name: string; failure: string | null; skipped: boolean }[] {
  const root = parseXml(readFileSync(join(project, file), 'utf8'));
  return descendants(root)
    .filter((e) => e.name === 'testcase')
    .map((e) => {
      const failure = e.children.find((c) => c.name === 'failure' || c.name === 'error');
      return { name: e.attributes.name ?? '', failure: failure ? (failure.attributes.message ?? '') : null, skipped: e.children.some((c) => c.name === 'skipped') };
    });
}

beforeAll(async () => {
  const missing = netnsMissing() ?? postfixMissing() ?? (existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') ? null : 'ip(8) is missing (Debian iproute2)');
  if (missing) throw new Error(missing);
  // The package is what `npm run build` made (npm test builds before it tests).
  for (const [built, source] of [
    ['dist/index.js', 'src/index.ts'],
    ['dist/vitest/index.js', 'src/vitest/index.ts'],
    ['dist/vitest/matrix-tests.js', 'src/vitest/matrix-tests.ts'],
  ] as const) {
    const file = join(ROOT, built);
    if (!existsSync(file) || statSync(file).mtimeMs < statSync(join(ROOT, source)).mtimeMs) throw new Error(`${built} is missing or older than ${source}: run "npm run build" (npm test does)`);
  }
  hostResolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  work = mkdtempSync(join(tmpdir(), 'badmx-package-'));
  // Postfix's unprivileged daemons must reach their queue under it.
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(work, 'bin', 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });

  // `prepare` would build again: the tarball packs the dist/ that is there.
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, reject: false, timeout: 60_000 });
  if (pack.exitCode !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack wrote no tarball');
  tarball = join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  for (const file of ['dist/vitest/index.js', 'dist/vitest/index.d.ts', 'dist/index.d.ts', 'receivers/tls1.2.json', 'policies/strict.json']) {
    if (!files.includes(file)) throw new Error(`the tarball lacks ${file}`);
  }

  project = join(work, 'project');
  mkdirSync(join(project, 'tests'), { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'scratch-relay-tests',
        private: true,
        type: 'module',
        devDependencies: {
          badmx: `file:${tarball}`,
          vitest: installedVersion('vitest'),
          typescript: installedVersion('typescript'),
          '@types/node': installedVersion('@types/node'),
        },
      },
      null,
      2,
    ),
  );
  const install = await inProject('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], 240_000);
  if (install.exitCode !== 0) throw new Error(`npm install of the tarball failed: ${install.all}`);
  // The documented example, byte for byte.
  copyFileSync(EXAMPLE, join(project, 'tests', 'relay.test.ts'));
  // Nothing answers at this resolver: the relay resolves only because the recipes point it at the harness DNS.
  ns = await createNamespace(NS, '192.0.2.61', '127.0.0.1');
}, 300_000);

/** Stop a relay the recipes started (postfix stop: it is gone when this returns). */
async function stopRelay(dir: string): Promise<void> {
  if (existsSync(join(dir, 'etc', 'main.cf'))) await execa('ip', ['netns', 'exec', NS, 'postfix', '-c', join(dir, 'etc'), 'stop'], { reject: false });
}

afterAll(async () => {
  for (const dir of relays) {
    if (ns && existsSync(join(dir, 'etc', 'main.cf'))) await execa('ip', ['netns', 'exec', NS, 'postfix', '-c', join(dir, 'etc'), 'abort'], { reject: false });
  }
  await ns?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
  // Nothing here touched the machine's resolver.
  if (hostResolvConf !== undefined) expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolvConf);
}, 60_000);

describe('badmx from its packed tarball, in a scratch project', () => {
  it('type-checks with tsc (strict, NodeNext): the example, and runMatrix with RunDocument from the root', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], verbatimModuleSyntax: true, skipLibCheck: false },
        include: ['*.ts', 'tests/**/*.ts'],
      }),
    );
    writeFileSync(
      join(project, 'api.ts'),
      [
        "import { loadRun, runMatrix, type RunDocument } from 'badmx';",
        "import { describeMatrix, type MatrixOptions } from 'badmx/vitest';",
        '',
        'export const run: typeof runMatrix = runMatrix;',
        'export const verdicts = (doc: RunDocument): string[] => doc.cells.map((c) => `${c.sender} × ${c.profile}: ${c.verdict}`);',
        "export const again = (dir: string): RunDocument['summary'] => loadRun(dir).summary;",
        "export const options: MatrixOptions = { senders: ['smtp:localhost:587'], expect: { expired: 'not-delivered', 'tls1.2': { expect: 'delivered-tls', minVersion: 'TLSv1.2' } }, inconclusive: 'skip' };",
        'export const describe: typeof describeMatrix = describeMatrix;',
        // The types are real: these must not compile.
        "// @ts-expect-error an expectation is a policy's word, not 'refuse'",
        "export const wrongWord: MatrixOptions = { senders: ['smtp:localhost:587'], expect: { expired: 'refuse' } };",
        '// @ts-expect-error senders is required',
        "export const noSenders: MatrixOptions = { profiles: ['expired'] };",
        '',
      ].join('\n'),
    );
    const tsc = await inProject('npx', ['tsc', '-p', 'tsconfig.json'], 120_000);
    expect(tsc.all, 'tsc').toBe('');
    expect(tsc.exitCode).toBe(0);
  }, 150_000);

  it('GitHub Actions: the recipe starts the relay, its command runs the example green, one JUnit testcase per cell', async () => {
    const relay = relayDir('github-relay');
    try {
      const started = await inNamespace(githubStep(START_RELAY_STEP).run, { RELAY_DIR: relay });
      expect(started.exitCode, started.all).toBe(0);
      expect(githubJob().env?.RELAY_DIR).toBeTruthy();

      const matrix = await inNamespace(githubStep(RUN_MATRIX_STEP).run, {}, 240_000);
      expect(matrix.exitCode, matrix.all).toBe(0);
      expect(matrix.all).toMatch(/Tests\s+4 passed \(4\)/);
      const cases = junitCases(JUNIT_FILE);
      // in the catalogue's order, which is the order the tests were registered in at collection
      expect(cases.map((c) => c.name)).toEqual(EXAMPLE_PROFILES.map((p) => `${SUITE} > ${SENDER} × ${p}`));
      expect(cases.filter((c) => c.failure !== null || c.skipped)).toEqual([]);

      // Each pass is badmx's verdict on evidence: every cell settled, refusals by the relay's own bounce.
      const run = readRun();
      expect(run.cells.map((c) => [c.profile, c.verdict, c.outcome, c.settled])).toEqual([
        ['no-starttls', 'pass', 'refused-before-tls', true],
        ['starttls-454', 'pass', 'refused-before-tls', true],
        ['tls1.2', 'pass', 'delivered-tls', true],
        ['expired', 'pass', expect.stringMatching(/^refused-/), true],
      ]);
      expect(run.cells.find((c) => c.profile === 'expired')?.bounces[0]?.diagnostic).toMatch(/certificate not verified/i);
      // It found the receivers by MX, through the harness DNS, as in production.
      const log = readFileSync(join(relay, 'maillog'), 'utf8');
      expect(log).toContain('relay=mx.tls1.2.badmx.test[127.0.2.6]:25');
      expect(log).toMatch(/Verified TLS connection established to mx\.tls1\.2\.badmx\.test/);
      // The reports the recipe uploads and summarizes.
      for (const file of ['report.html', 'report.md', 'junit.xml']) expect(existsSync(join(project, 'reports/badmx/our-relay', file)), file).toBe(true);
    } finally {
      // Stopped whatever happened: the next test's relay needs port 587.
      await stopRelay(relay);
    }
  }, 300_000);

  it('GitLab CI: the recipe starts the relay, its command runs the example green', async () => {
    rmSync(join(project, 'reports'), { recursive: true, force: true });
    const relay = relayDir('gitlab-relay');
    try {
      // Its resolver line writes the namespace's own resolv.conf (ip netns exec mounts /etc/netns/<ns>/resolv.conf there).
      const started = await inNamespace(gitlabScript().startRelay, { RELAY_DIR: relay });
      expect(started.exitCode, started.all).toBe(0);
      expect(readFileSync(`/etc/netns/${NS}/resolv.conf`, 'utf8')).toBe('nameserver 127.0.2.253\n');
      expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolvConf);
      expect(gitlabJob().variables?.RELAY_DIR).toBeTruthy();

      const matrix = await inNamespace(gitlabScript().runMatrix, {}, 240_000);
      expect(matrix.exitCode, matrix.all).toBe(0);
      expect(gitlabScript().runMatrix).toBe(VITEST_COMMAND);
      expect(junitCases(JUNIT_FILE).map((c) => [c.name, c.failure])).toEqual(EXAMPLE_PROFILES.map((p) => [`${SUITE} > ${SENDER} × ${p}`, null]));
      expect(readRun().summary).toMatchObject({ cells: 4, pass: 4, fail: 0, inconclusive: 0, unsettled: 0 });
      expect(readFileSync(join(relay, 'maillog'), 'utf8')).toContain('relay=mx.tls1.2.badmx.test[127.0.2.6]:25');
    } finally {
      await stopRelay(relay);
    }
  }, 300_000);

  it('what is not a pass fails: a wrong expectation, cells never tested (even with inconclusive: skip), a matrix that cannot run', async () => {
    // A relay of its own (the recipe's), so this test stands alone: it delivers to the control, and holds port 587.
    const relay = relayDir('wrong-relay');
    try {
      const started = await inNamespace(githubStep(START_RELAY_STEP).run, { RELAY_DIR: relay });
      expect(started.exitCode, started.all).toBe(0);
      mkdirSync(join(project, 'wrong'), { recursive: true });
      writeFileSync(
        join(project, 'wrong', 'wrong.test.ts'),
        [
          "import { describeMatrix } from 'badmx/vitest';",
          '',
          // The relay delivers to the control over TLS 1.2; this suite says it must not.
          "describeMatrix('wrong expectations', {",
          "  senders: [process.env.BADMX_RELAY ?? 'smtp:localhost:587'],",
          "  expect: { 'tls1.2': 'not-delivered', 'no-starttls': 'not-delivered' },",
          '});',
          '',
          // Nothing listens there: the run stops early, and its untested cells are not skipped.
          "describeMatrix('unreachable relay', {",
          "  senders: ['smtp:127.0.0.1:2?tls=none&label=nowhere'],",
          "  profiles: ['expired'],",
          "  inconclusive: 'skip',",
          '});',
          '',
          // The relay's own port, 587, is where the tls1.2 receiver (slot 6) would listen: the fleet cannot start.
          "describeMatrix('busy port', {",
          "  senders: ['builtin:strict'],",
          "  profiles: ['tls1.2'],",
          "  addressing: { kind: 'port-range', address: '127.0.0.1', firstPort: 582 },",
          '});',
          '',
        ].join('\n'),
      );
      const result = await inNamespace('npx vitest run wrong/ --reporter=default --reporter=junit --outputFile.junit=reports/wrong.xml', {}, 240_000);
      expect(result.exitCode, result.all).toBe(1);
      expect(result.all).toMatch(/Tests\s+4 failed \| 1 passed \(5\)/);
      expect(result.all).toContain(`FAIL  wrong/wrong.test.ts > wrong expectations > ${SENDER} × tls1.2`);
      expect(result.all).toContain('MatrixCellError: TLS 1.2: delivered over TLSv1.2, but must not deliver: "wrong expectations" expects no delivery to tls1.2');
      // what the receiver recorded, under the reason
      expect(result.all).toMatch(/connection 1 from 127\.0\.0\.1:\d+, \+0 ms to \+\d+ ms: HELO relay\.ci\.test; STARTTLS → 220; TLS TLSv1\.2 /);
      const cases = junitCases('reports/wrong.xml').map((c) => [c.name, c.failure === null ? null : c.failure.split('\n')[0], c.skipped]);
      expect(cases.slice(0, 2)).toEqual([
        [`wrong expectations > ${SENDER} × no-starttls`, null, false],
        [`wrong expectations > ${SENDER} × tls1.2`, 'TLS 1.2: delivered over TLSv1.2, but must not deliver: "wrong expectations" expects no delivery to tls1.2', false],
      ]);
      expect(cases.slice(2).map(([name, failure, skipped]) => [name, skipped, typeof failure === 'string'])).toEqual([
        ['unreachable relay > nowhere × tls1.2', false, true],
        ['unreachable relay > nowhere × expired', false, true],
        ['busy port > builtin:strict × tls1.2', false, true],
      ]);
      expect(cases[3]?.[1]).toMatch(/^INCONCLUSIVE \(/);
      expect(result.all).toContain('the run stopped early: ');
      expect(cases[4]?.[1]).toMatch(/^the matrix could not run, so builtin:strict × tls1\.2 was not tested: .*127\.0\.0\.1:587/);
    } finally {
      await stopRelay(relay);
    }
  }, 300_000);
});
