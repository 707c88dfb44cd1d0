import { displayPath, loadJsonFile } from '../files/load-json-file.js';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAILBOX_NAME, MAILBOX_SLOT } from './mailbox.js';
import { BadmxError } from '../errors.js';
import { READ_LIMITS } from '../files/read-bounded.js';
import { DEFAULT_SUITES, profileSchema, SUITES, type Profile, type Suite } from './profile-schema.js';

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

/**
 * Select profiles by name, in catalogue order; unknown names are an error that lists the known
 * ones. Without names, the profiles of the given suites (default: the study's fourteen, so
 * that a plain run is the study's matrix); `all` takes every suite.
 */
export function selectProfiles(profiles: Profile[], names: string[] | undefined, suites: readonly string[] = DEFAULT_SUITES): Profile[] {
  if (!names || names.length === 0) {
    const wanted = parseSuites(suites);
    return profiles.filter((p) => wanted.has(p.suite));
  }
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



/**
 * How many addresses one per profile takes: the highest slot, since a profile listens on the
 * address of its slot (addressing.ts), so that running a subset moves no profile.
 */
export function slotSpan(profiles: readonly Profile[]): number {
  return profiles.reduce((max, p) => Math.max(max, p.slot), 0);
}

/** Suite names from flags or options: each one of SUITES, or `all`. */
export function parseSuites(names: readonly string[], flag = '--suite'): Set<Suite> {
  const wanted = new Set<Suite>();
  for (const raw of names.flatMap((n) => n.split(','))) {
    const name = raw.trim().toLowerCase();
    if (name === 'all') SUITES.forEach((suite) => wanted.add(suite));
    // `core` is the study's fourteen by the name issue 18 gave them; run.json keeps `study`.
    else if (name === 'core') wanted.add('study');
    else if ((SUITES as readonly string[]).includes(name)) wanted.add(name as Suite);
    else throw new BadmxError(`${flag} "${raw}" is not a suite: use ${[...SUITES, 'all'].join(', ')} (core is study)`, 'EUSAGE');
  }
  return wanted;
}
