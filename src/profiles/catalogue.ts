import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { MAILBOX_NAME, MAILBOX_SLOT } from './mailbox.js';
import { BadmxError } from '../errors.js';
import { JsonInputError, parseJson } from '../files/parse-json.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import { profileSchema, type Profile } from './profile-schema.js';

/** The profiles that ship with badmx: receivers/ at the package root. */
export const BUILTIN_CATALOGUE = fileURLToPath(new URL('../../receivers/', import.meta.url));

/**
 * Load and validate every profile file (`*.json`) in a directory, ordered by slot.
 * Any problem is a BadmxError whose one-line message names the file and the field.
 */
export function loadCatalogue(dir: string = BUILTIN_CATALOGUE): Profile[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
  } catch (error) {
    throw new BadmxError(`cannot read the receiver catalogue ${dir}: ${(error as Error).message}`, 'EPROFILE');
  }
  if (files.length === 0) throw new BadmxError(`the receiver catalogue ${dir} holds no *.json profile`, 'EPROFILE');

  const profiles = files.map((file) => loadProfileFile(join(dir, file)));
  checkUnique(profiles, dir);
  return profiles.sort((a, b) => a.slot - b.slot);
}

/** One profile file: at most READ_LIMITS.profile (256 KiB), only a regular file, and JSON nested no deeper than badmx's files ever are. */
export function loadProfileFile(file: string): Profile {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readBounded(file, READ_LIMITS.profile);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`${shown}: cannot read it (${error.reason})`, 'EPROFILE');
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonInputError)) throw error;
    throw new BadmxError(`${shown}: ${error.message}`, 'EPROFILE');
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BadmxError(`${shown}: ${describeIssue(parsed.error)}`, 'EPROFILE');
  }
  const expected = basename(file, '.json');
  if (parsed.data.name === MAILBOX_NAME) {
    throw new BadmxError(`${shown}: the name "${MAILBOX_NAME}" is reserved for the probes' own domain (${MAILBOX_NAME}.<zone>): choose another`, 'EPROFILE');
  }
  if (parsed.data.slot === MAILBOX_SLOT) {
    throw new BadmxError(`${shown}: slot ${MAILBOX_SLOT} is reserved for the probes' mailbox (its receiver listens on <base>.${MAILBOX_SLOT}): choose another`, 'EPROFILE');
  }
  if (parsed.data.name !== expected) {
    throw new BadmxError(`${shown}: name "${parsed.data.name}" must match the file name ("${expected}")`, 'EPROFILE');
  }
  return parsed.data;
}

/** Select profiles by name, in catalogue order; unknown names are an error that lists the known ones. */
export function selectProfiles(profiles: Profile[], names: string[] | undefined): Profile[] {
  if (!names || names.length === 0) return profiles;
  const known = new Set(profiles.map((p) => p.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new BadmxError(`unknown profile ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${[...known].join(', ')}`, 'EUSAGE');
  }
  const wanted = new Set(names);
  return profiles.filter((p) => wanted.has(p.name));
}

function checkUnique(profiles: Profile[], dir: string): void {
  const bySlot = new Map<number, string>();
  for (const profile of profiles) {
    const other = bySlot.get(profile.slot);
    if (other) {
      const free = firstFreeSlot(bySlot);
      throw new BadmxError(
        `${displayPath(join(dir, `${profile.name}.json`))}: slot ${profile.slot} is already used by "${other}" (first free slot: ${free})`,
        'EPROFILE',
      );
    }
    bySlot.set(profile.slot, profile.name);
  }
}

function firstFreeSlot(bySlot: Map<number, string>): number {
  let slot = 1;
  while (bySlot.has(slot)) slot++;
  return slot;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid profile';
  const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path}: ${issue.message}${more}`;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
