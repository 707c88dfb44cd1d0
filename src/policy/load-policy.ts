import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadmxError } from '../errors.js';
import { policySchema, type Policy } from './policy-schema.js';

/** The policies that ship with badmx: policies/ at the package root. */
export const BUILTIN_POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

/** A policy by built-in name (strict, opportunistic) or by the path of a JSON file. */
export function loadPolicy(nameOrFile: string): Policy {
  const builtin = /^[a-z0-9-]+$/.test(nameOrFile) ? `${BUILTIN_POLICIES}${nameOrFile}.json` : null;
  const file = builtin && existsSync(builtin) ? builtin : nameOrFile;
  if (!existsSync(file)) {
    throw new BadmxError(`unknown policy "${nameOrFile}": use strict, opportunistic, or the path of a policy JSON file`, 'EUSAGE');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BadmxError(`policy ${file}: not valid JSON (${(error as Error).message})`, 'ECONFIG');
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadmxError(`policy ${file}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`, 'ECONFIG');
  }
  return parsed.data;
}
