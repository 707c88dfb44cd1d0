/**
 * `node --import tsx bench/lockout.ts`: can 1,000 connections that never send mail keep a
 * sender out of a profile? With the default limits (32 connections per profile, 5-minute
 * command deadline), against the tls1.2 profile:
 *
 *   held       1,000 connections from 500 loopback addresses (exempt from the per-peer
 *              limits), half idle, half slow (one byte every 5 s, never a whole line);
 *              then a probe, a real SMTP client (nodemailer, verified STARTTLS) from
 *              another address, sends a whole message                  target < 60 s
 *   churn      the same 1,000, each reconnecting at once, from the same address, whenever
 *              it is shed or refused (at most 20,000 reconnections), while the probe is
 *              sent                                                       info
 *   rotate     as churn, but each reconnection from an address never used before
 *              (127.1.0.0/16): what shedding cannot tell from a sender    info
 *
 * The probe retries a refused attempt every second, up to 60 s (a real MTA would wait
 * minutes between attempts). Loopback only; every loop is bounded in count and time, and
 * the process exits by itself after at most 3 minutes.
 * `--connections <n>` and `--phase held|churn` change what runs.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalogue, selectProfiles } from '../src/profiles/catalogue.js';
import { startFleet, type Fleet } from '../src/receivers/fleet.js';
import { readEventLog } from '../src/recorder/event-log.js';
import { deliverProbe, hold, holdMany, loopbackAddresses, type HoldingClient } from '../test/receivers/holding-clients.js';

const HARD_LIMIT_MS = 180_000;
const PROBE_BUDGET_MS = 60_000;
const MAX_RECONNECTIONS = 20_000;
const ADDRESS_BASE = '127.0.145.0';
const PORT = 10025;
const SOURCES = [...loopbackAddresses('127.0.148', 250), ...loopbackAddresses('127.0.149', 250)];
const PROBE_FROM = '127.0.149.253';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const CONNECTIONS = Number(option('--connections') ?? 1_000);
const phases = option('--phase') ? [option('--phase')] : ['held', 'churn', 'rotate'];

setTimeout(() => {
  console.error(`lockout bench: hard limit of ${HARD_LIMIT_MS / 1000} s reached, exiting`);
  process.exit(1);
}, HARD_LIMIT_MS).unref();

interface ProbeResult {
  delivered: boolean;
  ms: number;
  attempts: number;
  lastError: string | null;
}

/** Send the probe, retrying a refused attempt every second until PROBE_BUDGET_MS. */
async function probe(fleet: Fleet): Promise<ProbeResult> {
  const member = fleet.members[0]!;
  const started = Date.now();
  let attempts = 0;
  let lastError: string | null = null;
  while (Date.now() - started < PROBE_BUDGET_MS) {
    attempts += 1;
    try {
      await deliverProbe({ ...member, caFile: fleet.caFile, localAddress: PROBE_FROM, timeoutMs: Math.max(1_000, PROBE_BUDGET_MS - (Date.now() - started)) });
      return { delivered: true, ms: Date.now() - started, attempts, lastError };
    } catch (error) {
      lastError = (error as Error).message.slice(0, 120);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  return { delivered: false, ms: Date.now() - started, attempts, lastError };
}

async function run(phase: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-lockout-'));
  const fleet = await startFleet({
    profiles: selectProfiles(loadCatalogue(), ['tls1.2']),
    zone: 'badmx.test',
    certsDir: join(import.meta.dirname, '..', 'certs'),
    addressing: { kind: 'per-profile', base: ADDRESS_BASE, port: PORT },
    eventsFile: join(dir, 'events.jsonl'),
  });
  const member = fleet.members[0]!;
  const clients: HoldingClient[] = [];
  let reconnections = 0;
  let churning = phase === 'churn' || phase === 'rotate';
  let fresh = 0;
  try {
    const opened = Date.now();
    const held = await holdMany(member, CONNECTIONS, { localAddresses: SOURCES, slowEvery: 2, byteEveryMs: 5_000, maxBytes: 100, concurrency: 100 });
    clients.push(...held.clients);
    const openMs = Date.now() - opened;
    if (churning) {
      // Whoever is shed comes straight back, from the same address, as long as the probe runs.
      const comeBack = (client: HoldingClient): void => {
        client.socket.once('close', () => {
          if (!churning || reconnections >= MAX_RECONNECTIONS) return;
          reconnections += 1;
          const localAddress = phase === 'rotate' ? `127.1.${(fresh >> 8) & 255}.${(fresh++ & 255) || 1}` : client.localAddress;
          hold({ ...member, localAddress, mode: client.mode, byteEveryMs: 5_000, maxBytes: 100 })
            .then((again) => {
              clients.push(again);
              comeBack(again);
            })
            .catch(() => undefined);
        });
      };
      for (const client of held.clients) comeBack(client);
    }
    const result = await probe(fleet);
    churning = false;
    const open = clients.filter((c) => !c.closed()).length;
    const events = readEventLog(fleet.eventsFile).events;
    const shed = events.filter((e) => e.type === 'shed').length;
    const refused = clients.filter((c) => /Too many connected clients/.test(c.received())).length;
    console.log(
      [
        `phase ${phase}: ${CONNECTIONS} connections (${held.failed} failed to open) from ${SOURCES.length} loopback addresses in ${openMs} ms` +
          (churning || phase !== 'held' ? `, ${reconnections} reconnections` : ''),
        `  probe from ${PROBE_FROM}: ${result.delivered ? `DELIVERED in ${(result.ms / 1000).toFixed(2)} s` : `NOT DELIVERED in ${(result.ms / 1000).toFixed(0)} s`} after ${result.attempts} attempt(s)${
          result.lastError ? `; last refusal: ${result.lastError}` : ''
        }  ${result.delivered && result.ms < PROBE_BUDGET_MS ? 'ok (< 60 s)' : 'OVER TARGET (60 s)'}`,
        `  sessions shed: ${shed}; newcomers refused: ${refused}; holding connections still open: ${open}; log: ${(statSync(fleet.eventsFile).size / 1024).toFixed(0)} KiB`,
      ].join('\n'),
    );
  } finally {
    churning = false;
    for (const client of clients) client.stop();
    await fleet.stop();
  }
}

console.log(`badmx lock-out bench on ${process.platform} ${process.arch}, Node ${process.version}\n`);
for (const phase of phases) if (phase) await run(phase);
process.exit(0);
