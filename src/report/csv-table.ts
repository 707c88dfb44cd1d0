import type { Cell, RunDocument } from '../run/run-document.js';
import { visibleControls } from './escape.js';
import { buildMatrix } from './matrix-model.js';
import type { Renderer } from './renderer.js';

/** The columns, in order; the header row uses these names. */
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
] as const;

function row(cell: Cell): string[] {
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
  description: 'one row per cell (RFC 4180): sender, profile, outcome, verdict, reason, TLS, alert, timing, settled',
  render: renderCsvTable,
};
