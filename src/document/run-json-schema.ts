import { z } from 'zod';
import { SCHEMA_VERSION } from './run-document.js';
import { runDocumentSchema } from './run-document-schema.js';

/**
 * run.json as a JSON Schema (draft 2020-12), generated from the very schema `badmx report`
 * loads runs with (run-document-schema.ts), so that other tools can read runs and the two can
 * never disagree. It describes what a file may hold (fields added later may be absent, fields
 * a later badmx adds are allowed); the one rule JSON Schema cannot say (each cell names a known
 * sender and profile, once) is in the description.
 */
export function runJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(runDocumentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...generated,
    $id: `https://badmx.invalid/schema/run-v${SCHEMA_VERSION}.json`,
    title: `badmx run.json (schemaVersion 1 and ${SCHEMA_VERSION})`,
    description:
      'The single document every badmx report is rendered from. Generated from the schema badmx itself loads runs with. Beyond this schema: every cells[].sender names a senders[].label and every cells[].profile a profiles[].name, and no (sender, profile) pair has two cells.',
  };
}
