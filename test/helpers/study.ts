import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import type { Profile } from '../../src/profiles/profile-schema.js';

/** The built-in catalogue's default suite: the study's fourteen profiles, what a plain run probes. */
export function studyProfiles(): Profile[] {
  return selectProfiles(loadCatalogue(), undefined);
}
