/**
 * `npm run bench`: start-up costs of the receiver fleet on this machine.
 *
 *   cold PKI   generate the whole test PKI into an empty directory      target < 2 s
 *   warm fleet start all 14 receivers with the PKI cached, until every
 *              one listens (in-process: what `badmx serve` adds)         target < 300 ms
 *   demo       `badmx demo` from process start to exit (PKI cached)      target < 10 s
 *
 * Medians of several runs; the CLI's end-to-end time (node start-up included) is shown
 * for information. Benchmarks report, they do not fail the test suite.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../src/certs/pki.js';
import { loadCatalogue } from '../src/profiles/catalogue.js';
import { startFleet } from '../src/receivers/fleet.js';
import { DEFAULT_ZONE } from '../src/profiles/naming.js';

const profiles = loadCatalogue();
const work = mkdtempSync(join(tmpdir(), 'badmx-bench-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const cold: number[] = [];
for (let i = 0; i < 5; i++) {
  const dir = join(work, `cold-${i}`);
  cold.push(await time(() => ensurePki({ dir, zone: DEFAULT_ZONE, profiles })));
}

const certsDir = join(work, 'cold-0');
const warm: number[] = [];
for (let i = 0; i < 7; i++) {
  let stop: () => Promise<void> = () => Promise.resolve();
  warm.push(
    await time(async () => {
      const fleet = await startFleet({
        profiles,
        zone: DEFAULT_ZONE,
        certsDir,
        addressing: { kind: 'per-profile', base: '127.0.30.0', port: 10025 },
        eventsFile: join(work, `warm-${i}`, 'events.jsonl'),
      });
      stop = () => fleet.stop();
    }),
  );
  await stop();
}

const cli: number[] = [];
const main = new URL('../src/cli/bin.ts', import.meta.url).pathname;
for (let i = 0; i < 3; i++) {
  const manifest = join(work, `manifest-${i}.json`);
  const start = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'serve', '--certs', certsDir, '--address-base', '127.0.31.0', '--port', '10025', '--events', join(work, `cli-${i}`, 'e.jsonl'), '--manifest', manifest],
    { stdio: 'ignore' },
  );
  while (!existsSync(manifest)) {
    if (performance.now() - start > 30_000) throw new Error('badmx serve did not write its manifest');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  cli.push(performance.now() - start);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
const demo: number[] = [];
for (let i = 0; i < 3; i++) {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'demo', '--certs', certsDir, '--address-base', '127.0.32.0', '--port', '10025', '--out', join(work, `demo-${i}`)], { stdio: 'ignore' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`badmx demo exited ${code}`))));
  });
  demo.push(performance.now() - start);
}
rmSync(work, { recursive: true, force: true });

const rows: [string, number, number | null, number[]][] = [
  ['cold PKI generation (15 RSA-2048 keys, 15 certificates)', median(cold), 2000, cold],
  ['warm fleet start-up (14 receivers listening)', median(warm), 300, warm],
  ['CLI `badmx serve` to manifest (node + tsx start-up included)', median(cli), null, cli],
  ['`badmx demo` end to end (28 probes, 2 senders)', median(demo), 10_000, demo],
];
console.log(`badmx bench on ${process.platform} ${process.arch}, Node ${process.version}\n`);
for (const [name, value, target, runs] of rows) {
  const verdict = target === null ? 'info' : value < target ? `ok (< ${target} ms)` : `OVER TARGET (${target} ms)`;
  console.log(`${name.padEnd(62)} ${value.toFixed(0).padStart(6)} ms  ${verdict}   runs: ${runs.map((r) => r.toFixed(0)).join(', ')}`);
}
