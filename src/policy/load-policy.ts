import { loadJsonFile } from '../files/load-json-file.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadmxError } from '../errors.js';
import { READ_LIMITS } from '../files/read-bounded.js';
import { policySchema, type Policy } from './policy-schema.js';

/** The policies that ship with badmx: policies/ at the package root. */
export const BUILTIN_POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

/** A policy by built-in name (strict, opportunistic, mta-sts, dane) or by the path of a JSON file (at most READ_LIMITS.policy, 1 MiB). */
export function loadPolicy(nameOrFile: string): Policy {
  const builtin = /^[a-z0-9-]+$/.test(nameOrFile) ? `${BUILTIN_POLICIES}${nameOrFile}.json` : null;
  const file = builtin && existsSync(builtin) ? builtin : nameOrFile;
  if (!existsSync(file)) {
    throw new BadmxError(`unknown policy "${nameOrFile}": use strict, opportunistic, mta-sts, dane, or the path of a policy JSON file`, 'EUSAGE');
  }
  return loadJsonFile(file, policySchema, { label: `policy ${file}`, limit: READ_LIMITS.policy, code: 'ECONFIG' });
}
