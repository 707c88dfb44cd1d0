import type { Cell, RunDocument } from '../document/run-document.js';
import { decisiveBounce } from './cell-label.js';
import { visibleControls } from './escape.js';
import { buildMatrix } from './matrix-model.js';
import type { Renderer } from './renderer.js';

/**
 * The columns, in order; the header row uses these names. `verdict` is pass, fail or
 * inconclusive; `inconclusive_cause` says why an inconclusive cell was not tested; the
 * bounce columns are the sender's decisive delivery status notification (its last
 * `failed` one, else its last), empty without one; `submission_attempts` is empty when the
 * probe was never handed to the sender. `settled_by` is what settled the cell (delivery,
 * bounce, delay-notice, final-word, retry-model), empty when nothing did before its wait
 * ended; `waited_ms` how long it was waited for from the probe's submission, empty when it
 * was never submitted (or the run did not record it); `settle_note` the run's one line on why
 * that wait was enough, or not.
 */
export const CSV_COLUMNS = [
  'sender',
  'profile',
  'outcome',
  'verdict',
  'reason',
  'tls_version',
  'cipher',
  'alert',
  'connections',
  'first_seen',
  'last_seen',
  'settled',
  // Added with the inconclusive verdict (run.json schemaVersion 2), after the original columns so positions stay put.
  'inconclusive_cause',
  'bounce_status',
  'bounce_diagnostic',
  'submission_attempts',
  // Added with what settled a cell (cells[].settle), at the end for the same reason.
  'settled_by',
  'waited_ms',
  'settle_note',
] as const;

function row(cell: Cell): string[] {
  const bounce = decisiveBounce(cell);
  return [
    cell.sender,
    cell.profile,
    cell.outcome,
    cell.verdict,
    cell.reason,
    cell.tls?.version ?? '',
    cell.tls?.cipher ?? '',
    cell.alert ?? '',
    String(cell.connections),
    cell.firstSeen ?? '',
    cell.lastSeen ?? '',
    String(cell.settled),
    cell.inconclusive?.cause ?? '',
    bounce?.status ?? '',
    bounce?.diagnostic ?? '',
    cell.submission ? String(cell.submission.attempts ?? 1) : '',
    cell.settle?.by ?? '',
    String(cell.settle?.waitedMs ?? ''),
    cell.settle?.note ?? '',
  ];
}

/** RFC 4180 §2: a field with a comma, quote, CR or LF is quoted, and quotes inside are doubled. */
export function csvField(value: string): string {
  const text = visibleControls(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One row per cell, in matrix order (profile groups, then senders), CRLF line ends and a
 * header row (RFC 4180). Empty fields are null values; times are ISO 8601 UTC.
 */
export function renderCsvTable(run: RunDocument): string {
  const matrix = buildMatrix(run);
  const cells = matrix.rows.flatMap((r) => r.cells.filter((c): c is Cell => c !== null));
  return [[...CSV_COLUMNS], ...cells.map(row)].map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('');
}

export const csvTable: Renderer = {
  name: 'csv',
  fileName: 'cells.csv',
  description: 'one row per cell (RFC 4180): sender, profile, outcome, verdict (pass, fail, inconclusive), reason, TLS, alert, timing, settled, why inconclusive, bounce, submission attempts, what settled it and how long was waited',
  render: renderCsvTable,
};
