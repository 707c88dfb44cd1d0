import type { z } from 'zod';

/**
 * Zod issues as the one line badmx prints for every JSON file it reads (profiles, policies,
 * the public configuration, run.json): the JSON path the way a person would write it
 * (`listen.addresses[1]`), then what to fix. Unknown keys come first and, when the schema's
 * keys are given, list the known ones: a misspelt key ("adresses") also makes the real one
 * look missing, and the typo is what needs fixing.
 */
export function describeIssues(error: z.ZodError, knownKeys?: (path: string) => readonly string[]): string {
  const issues = [...error.issues].sort((a, b) => rank(a) - rank(b));
  const issue = issues[0];
  if (!issue) return 'invalid';
  const path = jsonPath(issue.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => show(key)).join(', ');
    const known = knownKeys?.(path) ?? [];
    return `${path || '(top level)'}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${known.length ? `; known: ${known.join(', ')}` : ''}${more}`;
  }
  return `${path || '(top level)'}: ${issue.message}${more}`;
}

function rank(issue: z.core.$ZodIssue): number {
  return issue.code === 'unrecognized_keys' ? 0 : 1;
}

/** ["listen", "addresses", 1] -> listen.addresses[1] */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** A value from the file, shown in a message: as JSON (so quotes and line breaks stay visible and the message stays one line), cut short. */
export function show(value: unknown): string {
  // JSON.stringify gives undefined only for undefined, functions and symbols, which JSON.parse never produces.
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A message for a value of the wrong JSON type, or a missing one. */
export function typeError(expected: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? `is missing: give ${expected}` : `must be ${expected}, not ${show(issue.input)}`);
}
