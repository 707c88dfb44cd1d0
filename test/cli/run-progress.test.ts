import { describe, expect, it } from 'vitest';
import type { CliClock } from '../../src/cli/cli-io.js';
import { HEARTBEAT_MS, progressPrinter, shortDuration } from '../../src/cli/run-progress.js';
import type { Fleet } from '../../src/receivers/fleet.js';

/** A clock moved by hand: `advance` runs every timer that falls due, as often as it does. */
function fakeClock(start: number): CliClock & { advance(ms: number): void; timers: number } {
  let now = start;
  const timers = new Set<{ ms: number; next: number; fn: () => void }>();
  return {
    now: () => now,
    every(ms, fn) {
      const timer = { ms, next: now + ms, fn };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.fn();
      }
      now = end;
    },
    get timers() {
      return timers.size;
    },
  };
}

function output(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, columns: 200, write: (t: string) => (text += t) }, text: () => text };
}

const T0 = Date.parse('2026-05-01T09:00:00.000Z');
const fleet = { warnings: ['a warning'], members: [{}, {}], caFile: '/c/ca-bundle.pem' } as unknown as Fleet;

describe('run progress', () => {
  it('without a terminal: a heartbeat line every minute with elapsed time, each sender\'s deadline and settled/total', () => {
    const clock = fakeClock(T0);
    const out = output(false);
    const progress = progressPrinter({ stream: out.stream, clock, waitMs: 3_600_000, startedAt: T0 });
    progress({ kind: 'fleet-ready', fleet });
    progress({ kind: 'sender-start', sender: 'ses', probes: 14 });
    progress({ kind: 'sender-start', sender: 'builtin:strict', probes: 14 });
    expect(out.text()).toContain('badmx: ses: sending 14 probes, deadline 10:00:00Z\n');
    progress({ kind: 'probe-settled', sender: 'ses', profile: 'tls1.2', settled: 1, total: 14 });
    expect(out.text()).not.toContain('still running');
    clock.advance(59_999);
    expect(out.text()).not.toContain('still running');
    clock.advance(1);
    expect(out.text()).toContain(
      'badmx: still running: 1m00s elapsed; ses 1/14 settled, deadline 10:00:00Z (in 59m00s); builtin:strict 0/14 settled, deadline 10:00:00Z (in 59m00s)\n',
    );
    progress({ kind: 'sender-done', sender: 'builtin:strict', settled: 14, total: 14, timedOut: false });
    clock.advance(2 * HEARTBEAT_MS);
    const beats = out.text().split('\n').filter((l) => l.startsWith('badmx: still running'));
    expect(beats).toHaveLength(3);
    expect(beats[2]).toBe('badmx: still running: 3m00s elapsed; ses 1/14 settled, deadline 10:00:00Z (in 57m00s); builtin:strict 14/14 settled, done');
    progress.done();
    expect(clock.timers).toBe(0);
    // No terminal control sequences in a log.
    expect(out.text()).not.toContain('\r');
    expect(out.text()).not.toContain('\u001b');
  });

  it('on a terminal: one line, redrawn every second, that fits the terminal', () => {
    const clock = fakeClock(T0);
    const out = output(true);
    const progress = progressPrinter({ stream: { ...out.stream, columns: 100 }, clock, waitMs: 60_000, startedAt: T0 });
    progress({ kind: 'sender-start', sender: 'builtin:opportunistic', probes: 14 });
    progress({ kind: 'sender-start', sender: 'builtin:strict', probes: 14 });
    progress({ kind: 'probe-settled', sender: 'builtin:strict', profile: 'tls1.3', settled: 3, total: 14 });
    clock.advance(5_000);
    const last = out.text().split('\r\u001b[2K').at(-1) ?? '';
    // Cut to the terminal's width (100 columns: 99 characters), or \r could not redraw it.
    expect(last).toBe('badmx: 5s elapsed; builtin:opportunistic 0/14 settled, deadline 09:01:00Z (in 55s); builtin:strict…');
    expect(last).toHaveLength(99);
    expect(progress.summary()).toBe('5s elapsed; builtin:opportunistic 0/14 settled, deadline 09:01:00Z (in 55s); builtin:strict 3/14 settled, deadline 09:01:00Z (in 55s)');
    expect(out.text()).not.toContain('still running');
    progress.done();
    expect(out.text().endsWith('\n')).toBe(true);
    expect(clock.timers).toBe(0);
  });

  it('many senders share one summary', () => {
    const clock = fakeClock(T0);
    const progress = progressPrinter({ stream: output(false).stream, clock, waitMs: 60_000, startedAt: T0 });
    for (const sender of ['a', 'b', 'c', 'd']) progress({ kind: 'sender-start', sender, probes: 2 });
    progress({ kind: 'sender-done', sender: 'a', settled: 2, total: 2, timedOut: false });
    expect(progress.summary()).toBe('0s elapsed; 4 senders, 2/8 settled, 3 waiting, deadline 09:01:00Z (in 1m00s)');
    progress.done();
  });

  it('a resumed run counts elapsed time from the run\'s start and keeps the interrupted step\'s deadline', () => {
    const clock = fakeClock(T0 + 3_600_000);
    const out = output(false);
    const progress = progressPrinter({ stream: out.stream, clock, waitMs: 7_200_000, startedAt: T0, resumedStepStart: T0 + 600_000 });
    progress({ kind: 'step-start', sender: 'ses', profile: 'tls1.0', index: 4, total: 14 });
    progress({ kind: 'sender-start', sender: 'ses', probes: 1 });
    expect(progress.summary()).toBe('1h00m elapsed, step 4/14; ses 0/1 settled, deadline 11:10:00Z (in 1h10m)');
    // The next step starts afresh.
    progress({ kind: 'sender-done', sender: 'ses', settled: 1, total: 1, timedOut: false });
    progress({ kind: 'step-start', sender: 'ses', profile: 'tls1.1', index: 5, total: 14 });
    progress({ kind: 'sender-start', sender: 'ses', probes: 1 });
    expect(progress.summary()).toBe('1h00m elapsed, step 5/14; ses 0/1 settled, deadline 12:00:00Z (in 2h00m)');
    progress.done();
  });

  it('--quiet: no progress, no heartbeat, no timer; warnings and what went wrong still print', () => {
    const clock = fakeClock(T0);
    const out = output(false);
    const progress = progressPrinter({ stream: out.stream, clock, waitMs: 60_000, startedAt: T0, quiet: true });
    expect(clock.timers).toBe(0);
    progress({ kind: 'fleet-ready', fleet });
    progress({ kind: 'sender-start', sender: 'relay', probes: 2 });
    progress({ kind: 'probe-settled', sender: 'relay', profile: 'tls1.2', settled: 1, total: 2 });
    progress({ kind: 'submission-retry', sender: 'relay', profile: 'tls1.3', attempt: 1, detail: '421' });
    progress({ kind: 'submission-refused', sender: 'relay', profile: 'tls1.3', detail: '553 5.1.8 no such domain' });
    progress({ kind: 'no-control', sender: 'relay' });
    progress({ kind: 'sender-done', sender: 'relay', settled: 2, total: 2, timedOut: false });
    clock.advance(10 * HEARTBEAT_MS);
    progress.done();
    expect(out.text()).toBe(
      [
        'badmx: a warning',
        'badmx: relay did not accept the probe for tls1.3: 553 5.1.8 no such domain',
        'badmx: relay: every control probe settled undelivered; its other cells cannot be judged, ending its step',
        '',
      ].join('\n'),
    );
  });

  it('durations stay short', () => {
    expect([0, 42_000, 125_000, 3_599_000, 7_800_000].map(shortDuration)).toEqual(['0s', '42s', '2m05s', '59m59s', '2h10m']);
  });
});
