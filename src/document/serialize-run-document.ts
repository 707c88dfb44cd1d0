import type { RunDocument } from './run-document.js';

/** The run document's file name in a run directory. */
export const RUN_DOCUMENT_FILE = 'run.json';

/** run.json itself: the one serialization of a run, written by the run and by `badmx report --format json`. */
export function serializeRunDocument(run: RunDocument): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}
