import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { DEFAULT_ZONE } from '../../src/profiles/naming.js';
import { settleOf } from '../../src/run/judge-run.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import type { RetryModel, Sender } from '../../src/senders/sender.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * A cell settles as early as the evidence allows: its delivery, the sender's notice that it
 * gave up or deferred, its final word, or the retries the user stated for it running out; and
 * a cell that did not settle says how long was waited and why that was not enough.
 */
const T0 = '2026-11-30T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const base = { delivered: null, bounces: [], submission: { accepted: true, final: false, detail: 'queued' }, submittedAt: T0, waitEnd: at(60_000), retries: null, waitMs: 60_000, open: false };

describe('what settles a cell (settleOf)', () => {
  it('a delivery, a failure notice, a final word, a delay notice: each says what it was and when', () => {
    expect(settleOf({ ...base, delivered: at(1_500) })).toMatchObject({ by: 'delivery', waitedMs: 1_500 });
    expect(settleOf({ ...base, bounces: [{ at: at(4_000), action: 'failed' }] })).toMatchObject({ by: 'bounce', waitedMs: 4_000 });
    expect(settleOf({ ...base, submission: { accepted: false, final: true, detail: '550 no' } })).toMatchObject({ by: 'final-word', note: expect.stringContaining('550 no') as string });
    const deferred = settleOf({ ...base, bounces: [{ at: at(2_000), action: 'delayed' }] });
    expect(deferred).toMatchObject({ by: 'delay-notice', waitedMs: 2_000 });
    expect(deferred.note).toMatch(/deferred .* its retries meet the same receiver/);
  });

  it('stated retries: over within the wait settles it; longer than the wait does not, and says so', () => {
    const once: RetryModel = { delaysMs: [], attemptMs: 30_000 };
    expect(settleOf({ ...base, retries: once })).toMatchObject({ by: 'retry-model', waitedMs: 30_000 });
    const long: RetryModel = { delaysMs: [300_000, 600_000], attemptMs: 60_000 };
    const open = settleOf({ ...base, retries: long });
    expect(open).toMatchObject({ by: null, waitedMs: 60_000 });
    expect(open.note).toMatch(/ended before its retries as stated \(retries after 5 min, 10 min, each attempt within 1 min\), which last 16 min: a later attempt could still deliver/);
  });

  it('nothing said: unsettled, with how long was waited and why that is not enough; never submitted: nothing waited', () => {
    const open = settleOf(base);
    expect(open).toMatchObject({ by: null, waitedMs: 60_000 });
    expect(open.note).toMatch(/^no delivery, no notice from the sender, no final word and no retries= stated by the end of the wait \(--wait 1 min\)/);
    expect(settleOf({ ...base, submission: null, submittedAt: null })).toEqual({ by: null, waitedMs: null, note: 'never submitted: nothing was waited for' });
    // What settled it stands, but an open connection leaves the record incomplete, and it says so.
    expect(settleOf({ ...base, delivered: at(1_000), open: true }).note).toMatch(/still open/);
  });
});

describe('a stated retry model ends the wait', () => {
  /** A relay that takes every probe and never delivers it: only a stated model lets its cells settle before --wait. */
  function silentRelay(retries: RetryModel | null): Sender {
    return {
      spec: 'command:silent',
      label: retries ? 'silent-once' : 'silent',
      kind: 'command',
      notes: [],
      retries,
      check: () => Promise.resolve(),
      close: () => Promise.resolve(),
      send: () => Promise.resolve({ accepted: true, final: false, detail: 'queued' }),
    };
  }
  const run = (sender: Sender, base: string, waitMs: number) =>
    runMatrix({
      senders: [sender],
      policy: loadPolicy('strict'),
      profiles: selectProfiles(studyProfiles(), ['tls1.2']),
      zone: DEFAULT_ZONE,
      certsDir: inject('certsDir'),
      addressing: { kind: 'per-profile', base, port: TEST_PORT },
      outDir: mkdtempSync(join(tmpdir(), 'badmx-settle-')),
      waitMs,
    });

  it('retries=none with a 1 s attempt: settled by the model after about a second, long before --wait', async () => {
    const t = Date.now();
    const document = await run(silentRelay({ delaysMs: [], attemptMs: 1_000 }), testNet('run/settle').base, 60_000);
    expect(Date.now() - t).toBeLessThan(20_000);
    expect(document.cells[0]).toMatchObject({ settled: true, settle: { by: 'retry-model', waitedMs: 1_000 } });
    // Settled is not tested: the relay never reached the receiver, so the cell says so instead of passing.
    expect(document.cells[0]?.verdict).toBe('inconclusive');
    expect(document.senders[0]?.retries).toEqual({ delaysMs: [], attemptMs: 1_000 });
  });

  it('without a model, the same relay is waited for until --wait, and its cell says why that was not enough', async () => {
    const document = await run(silentRelay(null), testNet('run/settle', 1).base, 2_000);
    expect(document.cells[0]).toMatchObject({ settled: false, settle: { by: null } });
    expect(document.cells[0]?.settle.waitedMs).toBeGreaterThanOrEqual(1_500);
    expect(document.cells[0]?.settle.note).toMatch(/no retries= stated by the end of the wait .*: a later attempt could still deliver/);
  });

  it('smtp: specs state it: retries=none|DELAYS, attempt=DURATION', () => {
    expect(parseSenderSpec('smtp:relay.example?retries=none').retries).toEqual({ delaysMs: [], attemptMs: 60_000 });
    expect(parseSenderSpec('smtp:relay.example?retries=5m,10m&attempt=30s').retries).toEqual({ delaysMs: [300_000, 600_000], attemptMs: 30_000 });
    expect(parseSenderSpec('smtp:relay.example').retries).toBeNull();
    expect(() => parseSenderSpec('smtp:relay.example?retries=soon')).toThrow(/retries= must be a duration such as 60s, 2m or 1h, not "soon"/);
    expect(() => parseSenderSpec('smtp:relay.example?attempt=1m')).toThrow(/attempt= goes with retries=/);
  });
});
