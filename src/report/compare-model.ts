import type { Cell, RunDocument, RunProfile, RunSender } from '../document/run-document.js';
import { tallyText, verdictCounts } from './cell-label.js';
import { buildMatrix, type ProfileGroup } from './matrix-model.js';

/**
 * Several saved runs side by side, to answer "which of these is safer": one column per sender
 * of each run, one row per receiver state any of them tested (the union, in the matrix's group
 * order), each cell its verdict and outcome. A row whose verdicts differ is marked, and the
 * columns are ranked on the receiver states every column was tested at, so a run of fewer
 * profiles is not "safer" for having been asked less.
 */

/** One run to compare: its document (read by the run.json loader) and the short name its columns carry. */
export interface CompareRun {
  name: string;
  /** Where it was read from, as the user gave it. */
  file: string;
  document: RunDocument;
}

export interface CompareColumn {
  /** Index into Comparison.runs. */
  run: number;
  runName: string;
  sender: RunSender;
  /** "run / sender", unique over the comparison. */
  label: string;
}

export type RowDifference = 'verdict' | 'outcome' | null;

export interface CompareRow {
  profile: RunProfile;
  group: ProfileGroup;
  groupTitle: string;
  /** One per column; null where that run did not test this profile (or has no cell there). */
  cells: (Cell | null)[];
  /** Verdicts differ between the columns that tested it; or the verdicts agree and what happened does not; or neither. */
  differs: RowDifference;
  /** Tested by every column. */
  common: boolean;
}

export interface ColumnTotals {
  pass: number;
  fail: number;
  inconclusive: number;
  unsettled: number;
  /** Rows this column has no cell for. */
  missing: number;
  /** Over the rows every column has. */
  common: { pass: number; fail: number; inconclusive: number };
}

export interface Comparison {
  runs: CompareRun[];
  columns: CompareColumn[];
  rows: CompareRow[];
  totals: ColumnTotals[];
  /**
   * Column indexes, safest first, on the common rows: most passes (a cell not tested proves
   * nothing, so it never counts as safe), then fewest fails, then fewest inconclusive.
   */
  ranking: number[];
  commonRows: number;
  /** The policies the runs were judged against, each once. */
  policies: string[];
  /** "Which is safer", answered in one or two sentences. */
  answer: string;
  /** Rows whose verdicts differ. */
  differingRows: number;
}

/** Short names for runs: each run directory's name, made unique with the run id where two collide. */
export function runNames(runs: readonly { dir: string; id: string }[]): string[] {
  const base = runs.map((r) => r.dir.split(/[\\/]/).filter((part) => part !== '').pop() ?? r.id);
  return base.map((name, i) => (base.filter((other) => other === name).length > 1 ? `${name} (${runs[i]?.id ?? i + 1})` : name));
}

function key(sender: string, profile: string): string {
  return JSON.stringify([sender, profile]);
}

export function buildComparison(runs: readonly CompareRun[]): Comparison {
  if (runs.length === 0) throw new Error('nothing to compare: give two or more runs');
  const columns: CompareColumn[] = runs.flatMap((run, r) => run.document.senders.map((sender) => ({ run: r, runName: run.name, sender, label: `${run.name} / ${sender.label}` })));
  // The union of profiles, the first run's version of each, in the matrix's suite and group order.
  const profiles = new Map<string, RunProfile>();
  for (const run of runs) for (const profile of run.document.profiles) if (!profiles.has(profile.name)) profiles.set(profile.name, profile);
  const first = runs[0] as CompareRun;
  const matrix = buildMatrix({ ...first.document, profiles: [...profiles.values()], senders: [], cells: [] });
  const cellMaps = runs.map((run) => new Map(run.document.cells.map((cell) => [key(cell.sender, cell.profile), cell])));
  const tested = runs.map((run) => new Set(run.document.profiles.map((p) => p.name)));
  const rows: CompareRow[] = matrix.groups.flatMap((group) =>
    group.rows.map((row) => {
      const name = row.profile.name;
      const cells = columns.map((column) => (tested[column.run]?.has(name) ? (cellMaps[column.run]?.get(key(column.sender.label, name)) ?? null) : null));
      const present = cells.filter((c): c is Cell => c !== null);
      const verdicts = new Set(present.map((c) => c.verdict));
      const outcomes = new Set(present.map((c) => c.outcome));
      const differs: RowDifference = verdicts.size > 1 ? 'verdict' : outcomes.size > 1 ? 'outcome' : null;
      return { profile: row.profile, group: group.group, groupTitle: group.title, cells, differs, common: present.length === columns.length };
    }),
  );
  const totals = columns.map((_, i): ColumnTotals => {
    const all = rows.map((row) => row.cells[i] ?? null);
    const present = all.filter((c): c is Cell => c !== null);
    const common = rows.filter((row) => row.common).map((row) => row.cells[i]).filter((c): c is Cell => c !== null && c !== undefined);
    return { ...verdictCounts(present), unsettled: present.filter((c) => !c.settled).length, missing: all.length - present.length, common: verdictCounts(common) };
  });
  const ranking = columns
    .map((_, i) => i)
    .sort((a, b) => {
      const ta = (totals[a] as ColumnTotals).common;
      const tb = (totals[b] as ColumnTotals).common;
      return tb.pass - ta.pass || ta.fail - tb.fail || ta.inconclusive - tb.inconclusive || a - b;
    });
  const policies = [...new Set(runs.map((run) => run.document.policy.name))];
  const commonRows = rows.filter((row) => row.common).length;
  return {
    runs: [...runs],
    columns,
    rows,
    totals,
    ranking,
    commonRows,
    policies,
    answer: answerText(columns, totals, ranking, commonRows, policies),
    differingRows: rows.filter((row) => row.differs === 'verdict').length,
  };
}

function answerText(columns: CompareColumn[], totals: ColumnTotals[], ranking: number[], commonRows: number, policies: string[]): string {
  const caveat = policies.length > 1 ? ` The runs were judged against different policies (${policies.join(', ')}): a verdict compares only under one policy.` : '';
  if (columns.length < 2) return `Only one sender (${columns[0]?.label ?? 'none'}) to compare.${caveat}`;
  if (commonRows === 0) return `No receiver state was tested by every sender here, so none can be called safer on the same receivers; each column's totals count its own.${caveat}`;
  const tally = (i: number): string => tallyText((totals[i] as ColumnTotals).common);
  const best = ranking[0] as number;
  const bestTotals = (totals[best] as ColumnTotals).common;
  const tied = ranking.filter((i) => {
    const t = (totals[i] as ColumnTotals).common;
    return t.fail === bestTotals.fail && t.inconclusive === bestTotals.inconclusive && t.pass === bestTotals.pass;
  });
  const on = `on the ${commonRows} receiver state${commonRows === 1 ? '' : 's'} every sender here was tested at`;
  const lead =
    tied.length > 1
      ? `No single safest sender ${on}: ${tied.map((i) => columns[i]?.label ?? '').join(', ')} tie (${tally(best)} each).`
      : `Safest ${on}: ${columns[best]?.label ?? ''} (${tally(best)}).`;
  const mostFails = Math.max(...ranking.map((i) => (totals[i] as ColumnTotals).common.fail));
  const worst = ranking.filter((i) => (totals[i] as ColumnTotals).common.fail === mostFails);
  const fails = mostFails > 0 && !worst.includes(best) ? ` Most failures: ${worst.map((i) => `${columns[i]?.label ?? ''} (${tally(i)})`).join(', ')}.` : '';
  return `${lead}${fails}${caveat}`;
}
