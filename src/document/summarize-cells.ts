import type { Cell, RunDocument } from './run-document.js';

/** run.json's summary: how many cells, and how many of them pass, fail, are inconclusive or unsettled. Always counted from the cells. */
export function summarizeCells(cells: readonly Pick<Cell, 'verdict' | 'settled'>[]): RunDocument['summary'] {
  return {
    cells: cells.length,
    pass: cells.filter((c) => c.verdict === 'pass').length,
    fail: cells.filter((c) => c.verdict === 'fail').length,
    inconclusive: cells.filter((c) => c.verdict === 'inconclusive').length,
    unsettled: cells.filter((c) => !c.settled).length,
  };
}
