import type { RunDocument } from '../document/run-document.js';

/**
 * How a run was scheduled, in one line for a report: every profile live at once, or one at
 * a time on a shared address (public mode), and whether it was resumed after an interruption.
 */
export function scheduleText(run: Pick<RunDocument, 'schedule'>): string {
  const { schedule } = run;
  const how =
    schedule.mode === 'sequential'
      ? `sequential: the profiles took turns on ${schedule.address ?? 'one shared address'} (${stepsText(schedule.steps)})`
      : `parallel: every profile on its own address, ${senderOrder(schedule.steps)}`;
  const resumed = schedule.resumes.length ? `; resumed ${schedule.resumes.length} time${schedule.resumes.length === 1 ? '' : 's'} after an interruption (${schedule.resumes.join(', ')})` : '';
  return `${how}${resumed}`;
}

/** Steps are the distinct windows: the senders of one step share its start (a run of an earlier badmx had one step per sender). */
function stepsText(windows: RunDocument['schedule']['steps']): string {
  const steps = new Map<string, boolean>();
  for (const w of windows) steps.set(`${w.start} ${w.profiles.join(',')}`, (steps.get(`${w.start} ${w.profiles.join(',')}`) ?? true) && w.settled);
  const unsettled = [...steps.values()].filter((settled) => !settled).length;
  return `${steps.size} step${steps.size === 1 ? '' : 's'}, ${senderOrder(windows)}, ${unsettled} ended at the step limit`;
}

function senderOrder(windows: RunDocument['schedule']['steps']): string {
  const senders = new Set(windows.map((w) => w.sender)).size;
  const starts = new Set(windows.map((w) => `${w.start} ${w.profiles.join(',')}`)).size;
  const sideBySide = senders > 1 && starts * senders === windows.length;
  return senders <= 1 ? 'one sender' : sideBySide ? 'senders side by side' : 'senders one after another';
}
