import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runExitCode } from '../../src/cli/exit-codes.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { DEFAULT_ZONE } from '../../src/profiles/naming.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { runMatrix, type RunOptions } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { startToyRelay, type ToyRelay, type ToyRelayOptions } from '../helpers/toy-relay.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * No verdict without evidence: real relays (a toy MTA on real sockets, finding receivers by
 * MX through the run's own DNS server) in the states that made earlier badmx versions
 * report PASS for probes that were never tested. Each run here used to be green.
 */
const BASE = testNet('run/untested-cells').base;
const RELAY_ADDRESS = testNet('run/untested-cells').host(200);
const DNS = { address: testNet('run/untested-cells').host(253), port: 10_053 };
const PROFILES = ['no-starttls', 'expired', 'tls1.2'];
const CA = join(inject('certsDir'), 'ca-bundle.pem');

let relay: ToyRelay | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
});

async function runThrough(relayOptions: Partial<ToyRelayOptions>, run: Partial<RunOptions> = {}): Promise<{ doc: RunDocument; ms: number; dir: string }> {
  relay = await startToyRelay({ address: RELAY_ADDRESS, dns: DNS, deliveryPort: TEST_PORT, ...relayOptions });
  const dir = mkdtempSync(join(tmpdir(), 'badmx-untested-'));
  const started = Date.now();
  const doc = await runMatrix({
    senders: [parseSenderSpec(`smtp:${RELAY_ADDRESS}:${relay.port}?tls=none&label=relay`)],
    policy: loadPolicy('strict'),
    profiles: selectProfiles(studyProfiles(), PROFILES),
    zone: DEFAULT_ZONE,
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base: BASE, port: TEST_PORT },
    outDir: dir,
    waitMs: 4_000,
    dns: DNS,
    serveDns: true,
    submitBackoffMs: [200],
    ...run,
  });
  return { doc, ms: Date.now() - started, dir };
}

const cell = (doc: RunDocument, profile: string) => doc.cells.find((c) => c.profile === profile)!;

describe('cells that were not tested are inconclusive, never pass', () => {
  it('a relay that refuses every probe at RCPT (553 5.1.8): inconclusive with its words, exit 3', async () => {
    const { doc } = await runThrough({ rejectRcpt: { code: 553, message: '5.1.8 <badmx@probes.badmx.test>: Sender address rejected: Domain not found' } });
    expect(doc.cells.map((c) => c.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(cell(doc, 'no-starttls').inconclusive).toMatchObject({ cause: 'submission-refused', detail: expect.stringContaining('553') as unknown });
    expect(doc.summary).toMatchObject({ pass: 0, fail: 0, inconclusive: 3 });
    expect(doc.senders[0]?.diagnosis).toMatch(/refused every probe .*553/);
    expect(runExitCode(doc.summary)).toBe(3);
  });

  it('a relay that drops connections before its greeting under a burst: the run retries, every probe is tested', async () => {
    // Three probes submitted at once to a relay that serves one connection at a time.
    const { doc, dir } = await runThrough({ maxConcurrent: 1 });
    expect(relay?.dropped()).toBeGreaterThanOrEqual(2);
    expect(relay?.failures).toEqual([]);
    expect(PROFILES.map((p) => [p, cell(doc, p).verdict, cell(doc, p).outcome])).toEqual([
      ['no-starttls', 'fail', expect.stringMatching(/^(delivered-plaintext|plaintext-after-tls-failure)$/) as unknown],
      ['expired', 'fail', 'delivered-tls'],
      ['tls1.2', 'pass', 'delivered-tls'],
    ]);
    expect(Math.max(...doc.cells.map((c) => c.submission?.attempts ?? 0))).toBeGreaterThan(1);
    // Every failed attempt is on record in the journal.
    const attempts = readFileSync(join(dir, 'run-state.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"attempt"'));
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.every((line) => /"accepted":false/.test(line) && /"kind":"unreachable"/.test(line))).toBe(true);
  });

  it('a relay without the harness DNS: nothing delivered anywhere, so its refusals are inconclusive, with the diagnosis', async () => {
    // The relay's resolver points at the address badmx would serve on, but this run serves no DNS.
    const { doc } = await runThrough({}, { serveDns: false, waitMs: 2_500 });
    expect(doc.cells.every((c) => c.verdict === 'inconclusive')).toBe(true);
    expect(doc.cells.map((c) => c.inconclusive?.cause)).toEqual(['no-control', 'no-control', 'no-control']);
    expect(doc.senders[0]?.diagnosis).toMatch(/never connected to any receiver, and badmx served no DNS in this run/);
    expect(relay?.failures.join('\n')).toMatch(/ECONNREFUSED|ETIMEOUT|timeout/i);
  });

  it('a relay that does not trust the test root: the controls are refused, every refusal is inconclusive, "does it trust <CA>?"', async () => {
    const { doc } = await runThrough({ verify: true }, { waitMs: 3_000 });
    expect(cell(doc, 'tls1.2').outcome).toMatch(/^refused-/);
    expect(doc.cells.every((c) => c.verdict === 'inconclusive')).toBe(true);
    expect(doc.senders[0]?.diagnosis).toContain(`does it trust ${CA}?`);
    expect(runExitCode(doc.summary)).toBe(3);
  });

  it('a bounce settles its cell at once and its diagnostic is the evidence', async () => {
    const diagnostic = 'TLS is required, but was not offered by host mx.no-starttls.badmx.test[127.0.120.1]';
    const { doc, ms } = await runThrough(
      { bounceOn: { domains: ['no-starttls.badmx.test'], status: '5.7.10', diagnostic } },
      { waitMs: 20_000 },
    );
    const bounced = cell(doc, 'no-starttls');
    expect(bounced).toMatchObject({ outcome: 'not-attempted', verdict: 'pass', settled: true });
    expect(bounced.bounces).toEqual([expect.objectContaining({ action: 'failed', status: '5.7.10', diagnostic: expect.stringContaining('TLS is required') as unknown }) as unknown]);
    expect(bounced.reason).toContain('TLS is required');
    // Settled when the bounce came, not at the 20 s deadline: within a second of its arrival.
    const end = Date.parse(doc.schedule.steps[0]!.end);
    expect(end - Date.parse(bounced.bounces[0]!.at)).toBeLessThan(1_000);
    expect(ms).toBeLessThan(10_000);
  });
});
