import { RUN_DOCUMENT_FILE, serializeRunDocument } from '../document/serialize-run-document.js';
import type { Renderer } from './renderer.js';

/** The `json` format: run.json itself, as the run wrote it (document/serialize-run-document.ts). */
export const jsonDocument: Renderer = {
  name: 'json',
  fileName: RUN_DOCUMENT_FILE,
  description: 'run.json, the versioned source every other format is rendered from',
  render: serializeRunDocument,
};
