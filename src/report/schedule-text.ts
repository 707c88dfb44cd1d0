import type { RunDocument } from '../document/run-document.js';

/**
 * How a run was scheduled, in one line for a report: every profile live at once, or one at
 * a time on a shared address (public mode), and whether it was resumed after an interruption.
 */
export function scheduleText(run: Pick<RunDocument, 'schedule'>): string {
  const { schedule } = run;
  const how =
    schedule.mode === 'sequential'
      ? `sequential: the profiles took turns on ${schedule.address ?? 'one shared address'}, one step per sender and profile (${schedule.steps.length} step${schedule.steps.length === 1 ? '' : 's'}, ${schedule.steps.filter((s) => !s.settled).length} ended at the step limit)`
      : 'parallel: every profile on its own address, senders one after another';
  const resumed = schedule.resumes.length ? `; resumed ${schedule.resumes.length} time${schedule.resumes.length === 1 ? '' : 's'} after an interruption (${schedule.resumes.join(', ')})` : '';
  return `${how}${resumed}`;
}
