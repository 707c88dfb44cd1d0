import type { RunDocument } from '../run/run-document.js';
import type { Renderer } from './renderer.js';

/** run.json itself: the one serialization of a run, used by the run and by `badmx report --format json`. */
export function renderJsonDocument(run: RunDocument): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

export const jsonDocument: Renderer = {
  name: 'json',
  fileName: 'run.json',
  description: 'run.json, the versioned source every other format is rendered from',
  render: renderJsonDocument,
};
