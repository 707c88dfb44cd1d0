import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { DEFAULT_ZONE } from '../../src/profiles/naming.js';
import { runMatrix, type RunOptions, type RunProgress } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import type { Sender } from '../../src/senders/sender.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { nodemailerSender } from '../helpers/nodemailer-sender.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Senders side by side are judged exactly as each alone: every sender's probes in flight at
 * once against one fleet, and each cell's outcome and verdict the same as when that sender runs
 * by itself. The senders behave oppositely at the same profiles: two that refuse what is not
 * authenticated TLS and two that deliver anyway, two of them badmx's own (EHLO names known in
 * advance) and two "vendors" (nodemailer, EHLO names badmx only learns from their deliveries),
 * all from 127.0.0.1, so only who they say they are tells their nameless refusals apart.
 */
const PROFILES = ['tls1.2', 'no-starttls', 'starttls-454', 'expired', 'wrong-host', 'tls1.0'];

function vendor(label: string, strict: boolean): Sender {
  const ca = [readFileSync(join(inject('certsDir'), 'ca-bundle.pem'), 'utf8')];
  return nodemailerSender({
    label,
    tls: strict ? { requireTLS: true, tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ca } } : { opportunisticTLS: true, tls: { rejectUnauthorized: false, minVersion: 'TLSv1' } },
    // A vendor that refused has given up: it says so, as a relay's bounce would.
    refused: (error) => ({ accepted: true, final: true, detail: `gave up: ${error.message}` }),
  });
}

const senders = (): Sender[] => [parseSenderSpec('builtin:strict'), parseSenderSpec('builtin:opportunistic'), vendor('careful', true), vendor('careless', false)];

function options(base: string, list: Sender[], onProgress?: (p: RunProgress) => void): RunOptions {
  return {
    senders: list,
    policy: loadPolicy('strict'),
    profiles: selectProfiles(studyProfiles(), PROFILES),
    zone: DEFAULT_ZONE,
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base, port: TEST_PORT },
    outDir: mkdtempSync(join(tmpdir(), 'badmx-concurrent-')),
    waitMs: 15_000,
    ...(onProgress ? { onProgress } : {}),
  };
}

const summary = (run: RunDocument) => run.cells.map((c) => `${c.sender} × ${c.profile}: ${c.outcome} ${c.verdict} (${c.connections} connection(s))`);

let together: RunDocument;
let alone: RunDocument[];
const starts: string[] = [];
beforeAll(async () => {
  together = await runMatrix(options(testNet('run/concurrent-senders').base, senders(), (p) => (p.kind === 'sender-start' ? starts.push(p.sender) : undefined)));
  // Each alone, one after another, on a fleet of its own.
  alone = [];
  for (const [i, sender] of senders().entries()) alone.push(await runMatrix(options(`127.0.${173 + i}.0`, [sender])));
}, 120_000);

describe('senders side by side', () => {
  it('were all in flight at once: one step, one window shared by all four', () => {
    expect(together.schedule.mode).toBe('parallel');
    expect(new Set(together.schedule.steps.map((s) => s.start)).size).toBe(1);
    expect(together.schedule.steps.map((s) => s.sender)).toEqual(['builtin:strict', 'builtin:opportunistic', 'careful', 'careless']);
    expect(starts).toHaveLength(4);
  });

  it('every cell is what that sender gets alone: refusals that named no probe are their own sender\'s, none lost, none swapped', () => {
    expect(summary(together)).toEqual(alone.flatMap(summary));
    // Opposite behaviour at the same profiles: the careful ones refused, with the connection that shows it.
    for (const sender of ['builtin:strict', 'careful']) {
      const refusal = together.cells.find((c) => c.sender === sender && c.profile === 'expired');
      expect(refusal?.verdict).toBe('pass');
      expect(refusal?.outcome).toMatch(/^refused-/);
      expect(refusal?.connections).toBeGreaterThan(0);
    }
    for (const sender of ['builtin:opportunistic', 'careless']) {
      const delivered = together.cells.find((c) => c.sender === sender && c.profile === 'no-starttls');
      expect(delivered?.verdict).toBe('fail');
      expect(delivered?.outcome).toMatch(/plaintext/);
    }
    expect(together.stray.connections).toBe(0);
  });
});

describe('one shared address: one step per profile, every sender in it', () => {
  it('two senders, 14 profiles: 14 steps, each with both senders\' probes for the live profile, judged as the demo judges them', async () => {
    const steps: { profile: string; sender: string }[] = [];
    const run = await runMatrix({
      senders: [parseSenderSpec('builtin:opportunistic'), parseSenderSpec('builtin:strict')],
      policy: loadPolicy('strict'),
      profiles: studyProfiles(),
      zone: DEFAULT_ZONE,
      certsDir: inject('certsDir'),
      addressing: { kind: 'shared', address: testNet('run/concurrent-senders', 1).host(1), port: TEST_PORT },
      outDir: mkdtempSync(join(tmpdir(), 'badmx-shared-')),
      waitMs: 10_000,
      onProgress: (p) => (p.kind === 'step-start' ? steps.push({ profile: p.profile, sender: p.sender }) : undefined),
    });
    expect(steps).toHaveLength(14);
    expect(new Set(steps.map((s) => s.profile)).size).toBe(14);
    expect(steps.every((s) => s.sender === 'builtin:opportunistic, builtin:strict')).toBe(true);
    expect(run.schedule).toMatchObject({ mode: 'sequential', address: `${testNet('run/concurrent-senders', 1).host(1)}:${TEST_PORT}` });
    // One window per sender per step, the two of a step the same.
    expect(run.schedule.steps).toHaveLength(28);
    expect(new Set(run.schedule.steps.map((s) => s.start)).size).toBe(14);
    expect(run.summary).toMatchObject({ cells: 28, pass: 16, fail: 12, inconclusive: 0, unsettled: 0 });
    expect(run.cells.every((c) => c.misdirected === 0)).toBe(true);
  }, 120_000);
});
