import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BUILTIN_CATALOGUE, loadCatalogue, selectProfiles } from '../receivers/catalogue.js';
import { DEFAULT_ZONE, normalizeZone } from '../receivers/naming.js';
import type { Profile } from '../receivers/profile-schema.js';

/** Options every command that needs the fleet's profiles and PKI shares. */
export interface FleetSelectionFlags {
  zone: string;
  certs: string;
  receivers: string;
  profile?: string[];
}

export function addFleetSelectionOptions(command: Command): Command {
  return command
    .option('--zone <zone>', 'DNS zone the profiles live under', DEFAULT_ZONE)
    .option('--certs <dir>', 'where the generated test PKI is cached', 'certs')
    .option('--receivers <dir>', 'profile catalogue directory (one JSON file per profile)', BUILTIN_CATALOGUE)
    .option('--profile <name...>', 'only these profiles (default: all)');
}

export interface FleetSelection {
  zone: string;
  certsDir: string;
  profiles: Profile[];
}

/** Validate and normalize the shared flags, in one place. */
export function normalizeFleetSelection(flags: FleetSelectionFlags): FleetSelection {
  const zone = normalizeZone(flags.zone);
  const profiles = selectProfiles(loadCatalogue(resolve(flags.receivers)), flags.profile);
  return { zone, certsDir: resolve(flags.certs), profiles };
}
