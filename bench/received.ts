/**
 * `npm run bench` (also alone: `npm run bench:received`): Received-header parsing.
 *
 *   100 KB header block   every Received field of a 100 KB header section (real fields
 *                         from test/evidence/fixtures/received-corpus.json and
 *                         received-real-world.json, taken in turn, with other header
 *                         fields between them), unfolded and parsed, oldest
 *                         hop first                                          target < 10 ms
 *   100 KB hostile field  one field of 100 KB of "(" (unterminated, deeply nested)
 *                         and one of 100 KB of ";" and spaces: linear time
 *                         means the same order of cost as friendly input     info
 *
 * Medians of 101 runs after 50 to warm up (V8 optimises a function only after it has run
 * a while; five were not enough, and the median then measured the JIT). Benchmarks
 * report, they do not fail.
 */
import { readFileSync } from 'node:fs';
import { parseReceived, receivedHopsOldestFirst } from '../src/evidence/parse-received.js';

const fixture = (name: string): { field: string }[] => (JSON.parse(readFileSync(new URL(`../test/evidence/fixtures/${name}`, import.meta.url), 'utf8')) as { fields: { field: string }[] }).fields;
const corpus = { fields: [...fixture('received-corpus.json'), ...fixture('received-real-world.json')] };

const TARGET_BYTES = 100 * 1024;
const lines: string[] = [];
let size = 0;
for (let i = 0; size < TARGET_BYTES; i++) {
  const field = corpus.fields[i % corpus.fields.length]?.field ?? '';
  // Refold the way MTAs do, CRLF and a tab, so unfolding is part of what is measured.
  const line = `Received: ${field.trim().replace(/\n[ \t]*/g, '\r\n\t')}\r\nX-Filler-${i}: ${'x'.repeat(40)}\r\n`;
  lines.push(line);
  size += line.length;
}
const block = `${lines.join('')}\r\nbody\r\n`;
const hostileParens = `from a ${'('.repeat(TARGET_BYTES)} by b with ESMTPS; Mon, 5 Jan 2026 09:08:07 +0000`;
const hostileSemicolons = `from a by b with ESMTP ${'; '.repeat(TARGET_BYTES / 2)}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function measure(fn: () => unknown, runs: number): number[] {
  for (let i = 0; i < 50; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

const hops = receivedHopsOldestFirst(block).length;
const rows: [string, number[], number | null][] = [
  [`100 KB header block (${(block.length / 1024).toFixed(0)} KB, ${hops} Received fields)`, measure(() => receivedHopsOldestFirst(block), 101), 10],
  ['100 KB hostile field: unterminated nested "("', measure(() => parseReceived(hostileParens), 101), null],
  ['100 KB hostile field: "; " repeated', measure(() => parseReceived(hostileSemicolons), 101), null],
];
console.log(`badmx Received-parsing bench on ${process.platform} ${process.arch}, Node ${process.version}\n`);
for (const [name, runs, target] of rows) {
  const value = median(runs);
  const verdict = target === null ? 'info' : value < target ? `ok (< ${target} ms)` : `OVER TARGET (${target} ms)`;
  console.log(`${name.padEnd(62)} ${value.toFixed(2).padStart(7)} ms  ${verdict}   min ${Math.min(...runs).toFixed(2)}, max ${Math.max(...runs).toFixed(2)}`);
}
