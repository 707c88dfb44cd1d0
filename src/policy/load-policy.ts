import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadmxError } from '../errors.js';
import { JsonInputError, parseJson } from '../files/parse-json.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import { policySchema, type Policy } from './policy-schema.js';

/** The policies that ship with badmx: policies/ at the package root. */
export const BUILTIN_POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

/** A policy by built-in name (strict, opportunistic) or by the path of a JSON file (at most READ_LIMITS.policy, 1 MiB). */
export function loadPolicy(nameOrFile: string): Policy {
  const builtin = /^[a-z0-9-]+$/.test(nameOrFile) ? `${BUILTIN_POLICIES}${nameOrFile}.json` : null;
  const file = builtin && existsSync(builtin) ? builtin : nameOrFile;
  if (!existsSync(file)) {
    throw new BadmxError(`unknown policy "${nameOrFile}": use strict, opportunistic, or the path of a policy JSON file`, 'EUSAGE');
  }
  let text: string;
  try {
    text = readBounded(file, READ_LIMITS.policy);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`policy ${file}: cannot read it (${error.reason})`, 'ECONFIG');
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonInputError)) throw error;
    throw new BadmxError(`policy ${file}: ${error.message}`, 'ECONFIG');
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadmxError(`policy ${file}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`, 'ECONFIG');
  }
  return parsed.data;
}
