import { describe, expect, it } from 'vitest';
import { PeerEventBudget, SessionEventBudget, SUMMARY_INTERVAL_MS } from '../../src/recorder/event-budget.js';

const noop = { type: 'command', verb: 'NOOP' } as const;
const ok = { type: 'reply', code: 250 } as const;

describe('session event budget', () => {
  it('admits the first N routine events, then counts the rest for one final summary', () => {
    const budget = new SessionEventBudget(4, null, () => 0);
    expect([noop, ok, noop, ok].map((e) => budget.admit(e))).toEqual([true, true, true, true]);
    expect(budget.final()).toBeNull();
    for (let i = 0; i < 1_000; i++) {
      expect(budget.admit(noop)).toBe(false);
      expect(budget.admit(ok)).toBe(false);
    }
    expect(budget.admit({ type: 'command', verb: 'QUIT' })).toBe(false);
    expect(budget.final()).toEqual({
      type: 'suppressed',
      reason: 'session',
      commands: 1_001,
      replies: 1_000,
      verbs: { NOOP: 1_000, QUIT: 1 },
      codes: { '250': 1_000 },
      final: true,
    });
  });

  it('writes a summary once a minute while over budget, with the totals so far', () => {
    let now = 0;
    const budget = new SessionEventBudget(0, null, () => now);
    expect(budget.admit(noop)).toBe(false);
    expect(budget.due()).toBeNull();
    now = SUMMARY_INTERVAL_MS - 1;
    budget.admit(noop);
    expect(budget.due()).toBeNull();
    now = SUMMARY_INTERVAL_MS;
    expect(budget.due()).toMatchObject({ commands: 2, final: false });
    // nothing new, nothing due
    now = 3 * SUMMARY_INTERVAL_MS;
    expect(budget.due()).toBeNull();
    budget.admit(noop);
    expect(budget.due()).toMatchObject({ commands: 3, final: false });
    expect(budget.final()).toMatchObject({ commands: 3, final: true });
  });

  it('names at most 16 verbs, the client\'s to choose; the rest are counted under *', () => {
    const budget = new SessionEventBudget(0, null, () => 0);
    for (let i = 0; i < 100; i++) budget.admit({ type: 'command', verb: `V${i}` });
    const verbs = budget.final()?.verbs ?? {};
    expect(Object.keys(verbs)).toHaveLength(16);
    expect(verbs['*']).toBe(85);
    expect(Object.values(verbs).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('stops at the peer\'s budget too, and says which one ran out', () => {
    const peers = new PeerEventBudget(3, () => 0);
    const a = new SessionEventBudget(100, { budget: peers, key: '192.0.2.1' }, () => 0);
    expect([noop, ok, noop, ok].map((e) => a.admit(e))).toEqual([true, true, true, false]);
    expect(a.final()).toMatchObject({ reason: 'peer', commands: 0, replies: 1 });
    // Another session of the same peer gets nothing; another peer everything.
    expect(new SessionEventBudget(100, { budget: peers, key: '192.0.2.1' }, () => 0).admit(noop)).toBe(false);
    expect(new SessionEventBudget(100, { budget: peers, key: '192.0.2.2' }, () => 0).admit(noop)).toBe(true);
  });
});

describe('per-peer event budget', () => {
  it('refills at its rate per hour, up to its size', () => {
    let now = 0;
    const peers = new PeerEventBudget(60, () => now);
    for (let i = 0; i < 60; i++) expect(peers.take('p')).toBe(true);
    expect(peers.take('p')).toBe(false);
    now = 60_000; // a minute: one event's worth at 60 per hour
    expect(peers.take('p')).toBe(true);
    expect(peers.take('p')).toBe(false);
    now = 100 * 3_600_000;
    for (let i = 0; i < 60; i++) expect(peers.take('p')).toBe(true);
    expect(peers.take('p')).toBe(false);
  });

  it('forgets peers whose bucket is full again, so a scan of many addresses costs no memory', () => {
    let now = 0;
    const peers = new PeerEventBudget(10, () => now);
    for (let i = 0; i < 5_000; i++) peers.take(`10.0.${i >> 8}.${i & 255}`);
    now = 3_600_000;
    // refilled: the next sweep drops them, and a swept peer starts full again
    for (let i = 0; i < 2_000; i++) peers.take(`10.1.${i >> 8}.${i & 255}`);
    for (let i = 0; i < 10; i++) expect(peers.take('10.0.0.0')).toBe(true);
  });
});
