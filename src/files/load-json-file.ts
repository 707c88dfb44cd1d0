import { relative } from 'node:path';
import type { z } from 'zod';
import { BadmxError, type BadmxErrorCode } from '../errors.js';
import { describeIssues } from './json-issues.js';
import { JsonInputError, parseJson } from './parse-json.js';
import { ReadBoundedError, readBounded } from './read-bounded.js';

/**
 * Every JSON file badmx reads (a receiver profile, a policy, the public configuration, a
 * saved run.json) is read the same way: at most its limit, only from a regular file, JSON
 * nested no deeper than badmx's files ever are, then validated by its schema; and every
 * problem is the same one line, naming the file and what to fix:
 *   `<label>: cannot read it (larger than the 1 MiB limit)`
 *   `<label>: not valid JSON (Unexpected token 'x' at line 2, column 3)`
 *   `<label>: listen.addresses[1]: "300.1.2.3" is not an IP address`
 */
export interface JsonFileOptions {
  /** How the file is named in errors, e.g. "policy policies/mine.json"; default: its path (see displayPath). */
  label?: string;
  /** READ_LIMITS' entry for this kind of file. */
  limit: number;
  /** The BadmxError code of every problem with it (its exit status: cli/exit-codes.ts). */
  code: BadmxErrorCode;
}

/** The file's JSON, not yet validated (for a loader that checks something first, such as run.json's schemaVersion). */
export function readJsonFile(file: string, options: JsonFileOptions): unknown {
  const label = options.label ?? displayPath(file);
  let text: string;
  try {
    text = readBounded(file, options.limit);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`${label}: cannot read it (${error.reason})`, options.code, { cause: error });
  }
  try {
    return parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonInputError)) throw error;
    throw new BadmxError(`${label}: ${error.message}`, options.code, { cause: error });
  }
}

/** Validate parsed JSON against its schema; `knownKeys` lists the keys a misspelt one could have meant. */
export function validateJson<S extends z.ZodType>(
  raw: unknown,
  schema: S,
  options: { label: string; code: BadmxErrorCode; knownKeys?: (path: string) => readonly string[] },
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new BadmxError(`${options.label}: ${describeIssues(parsed.error, options.knownKeys)}`, options.code);
  return parsed.data;
}

/** readJsonFile, then validateJson. */
export function loadJsonFile<S extends z.ZodType>(file: string, schema: S, options: JsonFileOptions & { knownKeys?: (path: string) => readonly string[] }): z.output<S> {
  const label = options.label ?? displayPath(file);
  return validateJson(readJsonFile(file, { ...options, label }), schema, { label, code: options.code, ...(options.knownKeys ? { knownKeys: options.knownKeys } : {}) });
}

/** A path as a message shows it: relative to the working directory when under it, else in full. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
