import { describe, expect, it } from 'vitest';
import { makeProbe } from '../../src/probes/probe.js';
import { submitProbes, type SubmitAttempt } from '../../src/run/submit-probes.js';
import type { SendResult } from '../../src/senders/sender.js';

const probes = Array.from({ length: 6 }, (_, i) => makeProbe('r', i + 1, 's', `p${i + 1}`, 'badmx.test'));

describe('submitProbes', () => {
  it('keeps at most `concurrency` submissions in flight, in the order given', async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    await submitProbes(
      probes,
      async (probe) => {
        order.push(probe.profile);
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { accepted: true, final: false, detail: 'ok' };
      },
      { concurrency: 2, deadline: Date.now() + 10_000 },
      () => undefined,
    );
    expect(peak).toBe(2);
    expect(order).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('retries transient failures (unreachable, 4xx, a throw) and not permanent ones; every attempt is reported', async () => {
    const calls = new Map<string, number>();
    const attempts: SubmitAttempt[] = [];
    const results = await submitProbes(
      probes.slice(0, 4),
      (probe) => {
        const n = (calls.get(probe.id) ?? 0) + 1;
        calls.set(probe.id, n);
        const answers: Record<string, () => Promise<SendResult>> = {
          p1: () => Promise.resolve(n < 3 ? { accepted: false, final: true, detail: 'no greeting', failure: { kind: 'unreachable', code: null } } : { accepted: true, final: false, detail: 'ok' }),
          p2: () => Promise.resolve(n < 2 ? { accepted: false, final: true, detail: '421 busy', failure: { kind: 'temporary', code: 421 } } : { accepted: true, final: false, detail: 'ok' }),
          p3: () => Promise.resolve({ accepted: false, final: true, detail: '553 no', failure: { kind: 'permanent', code: 553 } }),
          p4: () => (n < 2 ? Promise.reject(new Error('socket hang up')) : Promise.resolve({ accepted: true, final: false, detail: 'ok' })),
        };
        return answers[probe.profile]!();
      },
      { concurrency: 4, deadline: Date.now() + 10_000, backoffMs: [10] },
      (attempt) => attempts.push(attempt),
    );
    expect(Object.fromEntries(calls)).toEqual({ 'r-1': 3, 'r-2': 2, 'r-3': 1, 'r-4': 2 });
    expect(results.get('r-1')).toMatchObject({ accepted: true, attempts: 3 });
    expect(results.get('r-2')).toMatchObject({ accepted: true, attempts: 2 });
    expect(results.get('r-3')).toMatchObject({ accepted: false, attempts: 1 });
    expect(results.get('r-4')).toMatchObject({ accepted: true, attempts: 2 });
    expect(attempts.filter((a) => a.retrying).length).toBe(4);
    expect(attempts.length).toBe(8);
  });

  it('does not retry past the deadline: the last failure stands', async () => {
    const results = await submitProbes(
      probes.slice(0, 1),
      () => Promise.resolve({ accepted: false, final: true, detail: 'no greeting', failure: { kind: 'unreachable', code: null } }),
      { concurrency: 1, deadline: Date.now() + 300, backoffMs: [50] },
      () => undefined,
    );
    expect(results.get('r-1')).toMatchObject({ accepted: false, detail: 'no greeting' });
  });
});
