import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, renderCsvTable } from '../../src/report/csv-table.js';
import { visibleControls } from '../../src/report/escape.js';
import type { Cell, RunDocument } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, WAITS, withWaits } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);
const waits = withWaits(demo);

/**
 * A parsed row, read by its header names (so a header that names the wrong column fails),
 * checked against the cell it must describe.
 */
function expectRowDescribes(record: Record<string, string>, cell: Cell): void {
  expect(record.sender).toBe(cell.sender);
  expect(record.profile).toBe(cell.profile);
  expect(record.outcome).toBe(cell.outcome);
  expect(record.verdict).toBe(cell.verdict);
  // control bytes (a bounce quoted in the reason) are written as visible escapes
  expect(record.reason).toBe(visibleControls(cell.reason));
  expect(record.tls_version).toBe(cell.tls ? cell.tls.version : '');
  expect(record.cipher).toBe(cell.tls ? cell.tls.cipher : '');
  expect(record.alert).toBe(cell.alert === null ? '' : cell.alert);
  expect(Number(record.connections)).toBe(cell.connections);
  expect(record.first_seen).toBe(cell.firstSeen === null ? '' : cell.firstSeen);
  expect(record.last_seen).toBe(cell.lastSeen === null ? '' : cell.lastSeen);
  expect(record.settled).toBe(cell.settled ? 'true' : 'false');
  expect(record.inconclusive_cause).toBe(cell.inconclusive ? cell.inconclusive.cause : '');
  const bounce = cell.bounces.findLast((b) => b.action === 'failed') ?? cell.bounces.at(-1);
  expect(record.bounce_status).toBe(bounce?.status ?? '');
  expect(record.bounce_diagnostic).toBe(visibleControls(bounce?.diagnostic ?? ''));
  expect(record.submission_attempts).toBe(cell.submission ? String(cell.submission.attempts) : '');
  expect(record.settled_by).toBe(cell.settle.by ?? '');
  expect(record.waited_ms).toBe(cell.settle.waitedMs === null ? '' : String(cell.settle.waitedMs));
  expect(record.settle_note).toBe(visibleControls(cell.settle.note));
}

/** Parsed by csv-parse in strict RFC 4180 mode: any quoting mistake throws. */
function parseCsv(text: string): string[][] {
  const records: string[][] = parse(text, { record_delimiter: '\r\n', relax_quotes: false, relax_column_count: false, skip_empty_lines: false, bom: false });
  return records;
}

describe('the CSV table', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
    ['demo with waits', waits],
  ])('%s: a header row and one row per cell, every value round-trips through an RFC 4180 parser', (_name, run: RunDocument) => {
    const csv = renderCsvTable(run);
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual([
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
      'inconclusive_cause',
      'bounce_status',
      'bounce_diagnostic',
      'submission_attempts',
      'settled_by',
      'waited_ms',
      'settle_note',
    ]);
    expect(rows).toHaveLength(run.cells.length);
    const records = rows.map((r) => Object.fromEntries((header ?? []).map((name, i) => [name, r[i] ?? ''])));
    const bySenderProfile = new Map(records.map((r) => [`${r.sender}\u0000${r.profile}`, r]));
    for (const cell of run.cells) {
      const record = bySenderProfile.get(`${cell.sender}\u0000${cell.profile}`);
      expect(record, `${cell.sender} × ${cell.profile}`).toBeDefined();
      expectRowDescribes(record ?? {}, cell);
    }
  });

  it('quotes exactly what needs it, doubles quotes, keeps line breaks inside quotes, and ends records with CRLF', () => {
    const csv = renderCsvTable(hostile);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toContain(`"${HOSTILE.sender.replaceAll('"', '""')}",no-starttls,delivered-plaintext,fail,"${HOSTILE.multilineReason.replaceAll('"', '""')}"`);
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
  });

  it('round-trips: re-serializing the parsed rows gives the same bytes', () => {
    for (const run of [demo, hostile]) {
      const csv = renderCsvTable(run);
      const again = parseCsv(csv)
        .map((fields) => `${fields.map(csvField).join(',')}\r\n`)
        .join('');
      expect(again).toBe(csv);
    }
  });

  it('inconclusive cells: verdict "inconclusive", why, the sender\'s bounce and the submission attempts, parsed back', () => {
    const [header, ...rows] = parseCsv(renderCsvTable(hostile));
    const records = rows.map((r) => Object.fromEntries((header ?? []).map((name, i) => [name, r[i] ?? ''])));
    const inconclusive = records.filter((r) => r.verdict === 'inconclusive');
    expect(inconclusive).toHaveLength(hostile.summary.inconclusive);
    expect(inconclusive.length).toBeGreaterThan(0);
    for (const r of inconclusive) expect(r.inconclusive_cause).toMatch(/^(not-submitted|submission-failed|submission-refused|no-control|no-attempt|bounced-untested)$/);
    for (const r of records.filter((x) => x.verdict !== 'inconclusive')) expect(r.inconclusive_cause).toBe('');
    expect(records.filter((r) => r.sender === HOSTILE.diagnosedSender).map((r) => r.inconclusive_cause)).toEqual(Array(hostile.profiles.length).fill('no-control'));
    const bounced = records.find((r) => r.inconclusive_cause === 'bounced-untested');
    // the decisive bounce is the failed one, not the earlier delay; its control bytes are made visible
    expect(bounced).toMatchObject({ profile: 'sha1-signature', bounce_status: '5.4.4', bounce_diagnostic: visibleControls(HOSTILE.bounceDiagnostic), submission_attempts: '1' });
    expect(bounced?.bounce_diagnostic).toContain('\\x01\\x1b[31mred');
    expect(records.find((r) => r.inconclusive_cause === 'submission-failed')).toMatchObject({ profile: 'untrusted-root', submission_attempts: '3', bounce_status: '' });
    // the original columns keep their positions
    expect(header?.slice(0, 12)).toEqual(CSV_COLUMNS.slice(0, 12));
  });

  it('what settled each cell, how long was waited and why, parsed back; empty for a run that did not record it', () => {
    const [header, ...rows] = parseCsv(renderCsvTable(waits));
    const records = rows.map((r) => Object.fromEntries((header ?? []).map((name, i) => [name, r[i] ?? ''])));
    expect(records.find((r) => r.sender === WAITS.sender && r.profile === WAITS.unsettledProfile)).toMatchObject({
      settled: 'false',
      settled_by: '',
      waited_ms: '60000',
      settle_note: visibleControls(WAITS.unsettledNote),
    });
    expect(records.find((r) => r.sender === 'builtin:strict' && r.profile === 'tls1.3')).toMatchObject({ settled: 'true', settled_by: 'delivery', waited_ms: '1200', settle_note: WAITS.deliveredNote });
    expect(records.find((r) => r.sender === 'builtin:strict' && r.profile === 'tls1.0')).toMatchObject({ settled_by: 'final-word', waited_ms: '180' });
    // the note's control byte is made visible, its markup and pipe are just text
    expect(records.find((r) => r.profile === WAITS.unsettledProfile && r.sender === WAITS.sender)?.settle_note).toContain('<b>late</b> | \\x07');
    // an old run: by and wait unknown, the default note
    const [, ...old] = parseCsv(renderCsvTable(hostile));
    for (const row of old) expect(row.slice(-3)).toEqual(['', '', 'recorded by a badmx that did not say what settled a cell']);
    // the earlier columns keep their positions
    expect(header?.slice(0, 16)).toEqual(CSV_COLUMNS.slice(0, 16));
    expect(header?.slice(16)).toEqual(['settled_by', 'waited_ms', 'settle_note']);
  });

  it('lists cells in matrix order: profile groups, then senders', () => {
    const rows = parseCsv(renderCsvTable(demo)).slice(1);
    expect(rows.slice(0, 4).map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'builtin:opportunistic no-starttls',
      'builtin:strict no-starttls',
      'builtin:opportunistic starttls-454',
      'builtin:strict starttls-454',
    ]);
  });
});
