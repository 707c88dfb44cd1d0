import { describe, expect, it } from 'vitest';
import { renderMarkdownTable } from '../../src/report/markdown-table.js';
import { scheduleText } from '../../src/report/schedule-text.js';
import { DEMO_RUN, loadFixture } from '../helpers/report-fixtures.js';

describe('how the run was scheduled, in the reports', () => {
  it('parallel runs say so, and whether the senders ran side by side', () => {
    const window = (sender: string, start: string) => ({ sender, profiles: ['tls1.2', 'expired'], start, end: '2026-11-24T10:10:00.000Z', settled: true, dnsQueries: null });
    expect(scheduleText({ schedule: { mode: 'parallel', address: null, steps: [], resumes: [] } })).toBe('parallel: every profile on its own address, one sender');
    expect(
      scheduleText({ schedule: { mode: 'parallel', address: null, steps: [window('a', '2026-11-24T10:00:00.000Z'), window('b', '2026-11-24T10:00:00.000Z')], resumes: [] } }),
    ).toBe('parallel: every profile on its own address, senders side by side');
    // a run of an earlier badmx: one step per sender
    expect(
      scheduleText({ schedule: { mode: 'parallel', address: null, steps: [window('a', '2026-11-24T10:00:00.000Z'), window('b', '2026-11-24T10:05:00.000Z')], resumes: [] } }),
    ).toBe('parallel: every profile on its own address, senders one after another');
  });

  it('a sequential, resumed run names the shared address, its steps, those cut short and the resumes', () => {
    const step = (sender: string, profile: string, start: string, settled: boolean) => ({ sender, profiles: [profile], start, end: '2026-11-24T10:10:00.000Z', settled, dnsQueries: null });
    expect(
      scheduleText({
        schedule: {
          mode: 'sequential',
          address: '192.0.2.25:25',
          steps: [step('a', 'tls1.2', '2026-11-24T10:00:00.000Z', true), step('b', 'tls1.2', '2026-11-24T10:00:00.000Z', true), step('a', 'expired', '2026-11-24T10:01:00.000Z', false), step('b', 'expired', '2026-11-24T10:01:00.000Z', false)],
          resumes: ['2026-11-24T10:05:00.000Z'],
        },
      }),
    ).toBe(
      'sequential: the profiles took turns on 192.0.2.25:25 (2 steps, senders side by side, 1 ended at the step limit); resumed 1 time after an interruption (2026-11-24T10:05:00.000Z)',
    );
  });

  it('the Markdown report carries it', () => {
    expect(renderMarkdownTable(loadFixture(DEMO_RUN))).toContain('Schedule: parallel: every profile on its own address');
  });
});
