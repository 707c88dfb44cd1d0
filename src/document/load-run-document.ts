import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BadmxError } from '../errors.js';
import { JsonInputError, parseJson } from '../files/parse-json.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import { VERSION } from '../version.js';
import { READABLE_SCHEMA_VERSIONS, type RunDocument } from './run-document.js';
import { runDocumentSchema } from './run-document-schema.js';

export interface LoadedRun {
  /** The run.json that was read (absolute). */
  file: string;
  document: RunDocument;
}

/**
 * Read a saved run for re-rendering: a run.json, or a run directory holding one. Any
 * problem is one BadmxError line naming the file and what is wrong with it. At most
 * READ_LIMITS.runDocument (64 MiB) is read, and only from a regular file.
 */
export function loadRunDocument(path: string): LoadedRun {
  const file = resolveRunFile(path);
  const shown = displayPath(file);
  let text: string;
  try {
    text = readBounded(file, READ_LIMITS.runDocument);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`cannot read ${shown}: ${error.reason}`, 'ERUN', { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonInputError)) throw error;
    throw new BadmxError(`${shown}: ${error.message}`, 'ERUN', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BadmxError(`${shown}: not a badmx run.json (expected a JSON object)`, 'ERUN');
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new BadmxError(`${shown}: no schemaVersion, so not a badmx run.json`, 'ERUN');
  }
  if (!(READABLE_SCHEMA_VERSIONS as readonly unknown[]).includes(version)) {
    throw new BadmxError(
      `${shown}: schemaVersion ${JSON.stringify(version)} is not one badmx ${VERSION} reads (it reads ${READABLE_SCHEMA_VERSIONS.join(' and ')}); use the badmx that wrote it`,
      'ERUN',
    );
  }
  const parsed = runDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? formatPath(issue.path) : '';
    throw new BadmxError(`${shown}: ${where || '(top level)'}: ${issue?.message ?? 'invalid'}`, 'ERUN');
  }
  return { file, document: version === 1 ? rejudgeVersion1(parsed.data) : parsed.data };
}

/**
 * A version 1 run was judged by a badmx that scored a probe the receivers never saw as a pass
 * (or a fail) like any other. Read back, such a cell is what it always was: not tested. Only
 * cells with no connection and no delivery change; everything the receivers saw stands.
 */
function rejudgeVersion1(document: RunDocument): RunDocument {
  const cells = document.cells.map((cell) => {
    if (cell.verdict === 'inconclusive' || cell.connections > 0 || cell.received !== null || cell.outcome !== 'not-attempted') return cell;
    const detail =
      cell.submission && !cell.submission.accepted
        ? `the sender did not take the probe: ${cell.submission.detail} (recorded by a badmx that still judged such cells)`
        : 'no connection for this probe reached the receiver (recorded by a badmx that still judged such cells)';
    return { ...cell, verdict: 'inconclusive' as const, reason: `not tested: ${detail}`, inconclusive: { cause: 'no-attempt' as const, detail } };
  });
  const count = (verdict: string): number => cells.filter((c) => c.verdict === verdict).length;
  return { ...document, cells, summary: { ...document.summary, pass: count('pass'), fail: count('fail'), inconclusive: count('inconclusive') } };
}

function resolveRunFile(path: string): string {
  const absolute = resolve(path);
  let stat;
  try {
    stat = statSync(absolute);
  } catch {
    throw new BadmxError(`${path}: no such file or directory (give a run.json or the run directory holding it)`, 'ERUN');
  }
  if (!stat.isDirectory()) return absolute;
  const inside = join(absolute, 'run.json');
  try {
    statSync(inside);
  } catch {
    throw new BadmxError(`${path}: this directory has no run.json`, 'ERUN');
  }
  return inside;
}

/** Paths under the working directory are shown relative to it, others in full. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** ['cells', 3, 'verdict'] → cells[3].verdict */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
