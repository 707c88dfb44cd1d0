import { displayPath, loadJsonFile } from '../files/load-json-file.js';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAILBOX_NAME, MAILBOX_SLOT } from './mailbox.js';
import { BadmxError } from '../errors.js';
import { READ_LIMITS } from '../files/read-bounded.js';
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
  const profile = loadJsonFile(file, profileSchema, { label: shown, limit: READ_LIMITS.profile, code: 'EPROFILE' });
  const expected = basename(file, '.json');
  if (profile.name === MAILBOX_NAME) {
    throw new BadmxError(`${shown}: the name "${MAILBOX_NAME}" is reserved for the probes' own domain (${MAILBOX_NAME}.<zone>): choose another`, 'EPROFILE');
  }
  if (profile.slot === MAILBOX_SLOT) {
    throw new BadmxError(`${shown}: slot ${MAILBOX_SLOT} is reserved for the probes' mailbox (its receiver listens on <base>.${MAILBOX_SLOT}): choose another`, 'EPROFILE');
  }
  if (profile.name !== expected) {
    throw new BadmxError(`${shown}: name "${profile.name}" must match the file name ("${expected}")`, 'EPROFILE');
  }
  return profile;
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


