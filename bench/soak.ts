/**
 * `npm run soak`: badmx on the open internet, compressed into a few minutes on loopback.
 * A `badmx serve --dns` process is attacked (malformed SMTP from many addresses, STARTTLS
 * command injection, idle and slow clients, NOOP floods, DNS fuzz) while a sender's probe is
 * delivered again and again; the figures say whether it held:
 *
 *   sessions tried        malformed/hostile SMTP sessions sent
 *   crashes               times the badmx process died (must be 0)
 *   peak RSS              the badmx process's high-water mark (VmHWM)
 *   log bytes/session     growth of events.jsonl per attacking session
 *   worst DNS amplif.     largest answer/query size ratio seen by the DNS fuzz
 *   probe latency         a sender's delivery while under attack, retrying after a 421 as a
 *                         sender does: median and worst, and how many attempts were refused
 *
 * Loopback only; every loop is bounded and the whole run stops by itself after
 * SOAK_SECONDS (default 180). Needs root (port 53 for the DNS).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverProbe, holdConnections, malformedSessions, noopFlood } from '../test/abuse/attacks.js';
import { runDnsFuzzRound } from '../src/dns/dns-fuzz.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const work = mkdtempSync(join(tmpdir(), 'badmx-soak-'));
const BASE = '127.0.160.0';
const FIRST_PORT = 21025;
const DNS = '127.0.160.253';
const SOURCES = Array.from({ length: 200 }, (_, i) => `127.0.${161 + Math.floor(i / 200)}.${(i % 200) + 10}`);
const main = join(import.meta.dirname, '../src/cli/bin.ts');
const manifest = join(work, 'fleet.json');
const events = join(work, 'events.jsonl');

const serve = spawn('node', ['--import', 'tsx', main, 'serve', '--quiet', '--address-base', BASE, '--port', String(FIRST_PORT), '--dns', DNS, '--profile', 'no-starttls', 'tls1.2', 'expired', '--events', events, '--manifest', manifest, '--certs', join(work, 'certs')], { stdio: ['ignore', 'ignore', 'inherit'] });
let crashes = 0;
let stopping = false;
serve.on('exit', (code, signal) => {
  if (!stopping) {
    crashes++;
    console.error(`soak: badmx serve died (code ${code}, signal ${signal})`);
  }
});
const deadline = Date.now() + 60_000;
while (!existsSync(manifest)) {
  if (Date.now() > deadline || crashes) throw new Error('soak: badmx serve did not start');
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const fleet = JSON.parse(readFileSync(manifest, 'utf8')) as { profiles: { name: string; address: string; port: number; hostname: string; domain: string }[] };
const member = (name: string) => fleet.profiles.find((p) => p.name === name)!;
const control = member('tls1.2');
const target = (name: string) => ({ address: member(name).address, port: member(name).port });

function peakRss(): number {
  const status = readFileSync(`/proc/${serve.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const end = Date.now() + SECONDS * 1000;
const latencies: number[] = [];
let sessions = 0;
let retries = 0;
let floods = 0;
let dns = { packets: 0, worstAmplification: 0 };

// Idle and slow clients from many addresses, held for the whole soak.
const idle = await holdConnections(target('tls1.2'), 500, { localAddresses: SOURCES });
const slow = await holdConnections(target('tls1.2'), 200, { localAddresses: SOURCES, trickleMs: 10_000 });

const attack = (async () => {
  while (Date.now() < end && !crashes) {
    const stats = await malformedSessions(target(['no-starttls', 'tls1.2', 'expired'][sessions % 3]!), 500, { concurrency: 40, localAddresses: SOURCES });
    sessions += stats.sessions;
    await noopFlood(target('no-starttls'), 20_000, 10_000);
    floods++;
    const round = await runDnsFuzzRound({ address: DNS, port: 53, packets: 500, seed: sessions });
    dns = { packets: dns.packets + round.sent, worstAmplification: Math.max(dns.worstAmplification, round.worstFactor) };
  }
})();
const probes = (async () => {
  let n = 0;
  while (Date.now() < end && !crashes) {
    // As a sender does: a 421 (a full profile) means try again shortly (RFC 5321 §4.2.5); lost only if not delivered within 60 s.
    const started = performance.now();
    const to = `soak-${++n}@${control.domain}`;
    let delivered = false;
    let attempts = 0;
    while (!delivered && performance.now() - started < 60_000) {
      attempts++;
      try {
        await deliverProbe({ ...target('tls1.2'), hostname: control.hostname, from: 'soak@probes.badmx.test', to }, 30_000);
        delivered = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    retries += attempts - 1;
    latencies.push(delivered ? performance.now() - started : Infinity);
    if (!delivered) console.error(`soak: probe ${to} was not delivered within 60 s (${attempts} attempts)`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
})();
await Promise.all([attack, probes]);
const rss = peakRss();
idle.release();
slow.release();
stopping = true;
serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('exit', resolve));

const sorted = [...latencies].sort((a, b) => a - b);
const logBytes = existsSync(events) ? statSync(events).size : 0;
const figures = {
  seconds: SECONDS,
  'sessions tried': sessions,
  'NOOP floods': floods,
  'idle + slow connections held': 700,
  crashes,
  'peak RSS (MiB)': +(rss / 1048576).toFixed(1),
  'log bytes per session': sessions ? Math.round(logBytes / sessions) : 0,
  'DNS packets fuzzed': dns.packets,
  'worst DNS amplification': +dns.worstAmplification.toFixed(2),
  'probes delivered': latencies.filter(Number.isFinite).length,
  'probes lost (not delivered within 60 s)': latencies.filter((l) => !Number.isFinite(l)).length,
  'probe attempts refused (421, retried)': retries,
  'probe latency median (ms)': Math.round(sorted[Math.floor(sorted.length / 2)] ?? NaN),
  'probe latency worst (ms)': Math.round(sorted.at(-1) ?? NaN),
};
console.log(JSON.stringify(figures, null, 2));
process.exitCode = crashes > 0 || figures['probes lost (not delivered within 60 s)'] > 0 ? 1 : 0;
