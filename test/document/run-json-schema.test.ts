import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { runJsonSchema } from '../../src/document/run-json-schema.js';
import { DEMO_RUN, HOSTILE_RUN } from '../helpers/report-fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

describe('the JSON Schema of run.json', () => {
  it('the shipped docs/run.schema.json is the one generated from the loader\'s schema (npm run schema)', () => {
    expect(read(join(ROOT, 'docs/run.schema.json'))).toEqual(runJsonSchema());
  });

  it('an independent validator (Ajv, draft 2020-12) accepts real runs and rejects broken ones', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(runJsonSchema());
    for (const file of [DEMO_RUN, HOSTILE_RUN, join(ROOT, 'reports/reference/run.json')]) {
      expect(validate(read(file)), `${file}: ${JSON.stringify(validate.errors?.slice(0, 2))}`).toBe(true);
    }
    const demo = read(DEMO_RUN) as { cells: Record<string, unknown>[] };
    expect(validate({ ...demo, schemaVersion: 3 })).toBe(false);
    expect(validate({ ...demo, cells: [{ ...demo.cells[0], verdict: 'maybe' }] })).toBe(false);
  });
});
