import { displayPath, readJsonFile, validateJson } from '../files/load-json-file.js';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadmxError } from '../errors.js';
import { READ_LIMITS } from '../files/read-bounded.js';
import { VERSION } from '../version.js';
import { READABLE_SCHEMA_VERSIONS, type RunDocument } from './run-document.js';
import { runDocumentSchema } from './run-document-schema.js';
import { summarizeCells } from './summarize-cells.js';

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
  const raw = readJsonFile(file, { label: shown, limit: READ_LIMITS.runDocument, code: 'ERUN' });
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
  const document = validateJson(raw, runDocumentSchema, { label: shown, code: 'ERUN' });
  return { file, document: version === 1 ? rejudgeVersion1(document) : document };
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
  return { ...document, cells, summary: summarizeCells(cells) };
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


