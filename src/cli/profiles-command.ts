import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { listenAddress, DEFAULT_ADDRESSING } from '../profiles/addressing.js';
import { mxHostname } from '../profiles/naming.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelectionFlags } from './common-options.js';
import { formatTable } from './table.js';
import { examplesText } from './help-text.js';

/** `badmx profiles`: validate the catalogue and list what each profile tests. */
export function registerProfilesCommand(program: Command, { io }: CliContext): void {
  addFleetSelectionOptions(
    program.command('profiles').description('validate the receiver catalogue and list its profiles').option('--json', 'print JSON'),
  ).addHelpText('after', examplesText(["badmx profiles", "badmx profiles --suite all --json"])).action((flags: FleetSelectionFlags & { json?: boolean }) => {
    const { profiles, zone } = normalizeFleetSelection(flags, io.env);
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(profiles, null, 2)}\n`);
      return;
    }
    const rows = profiles.map((p) => {
      const { address } = listenAddress(DEFAULT_ADDRESSING, p.slot);
      return [p.name, mxHostname(p.name, zone), address, p.title];
    });
    io.stdout.write(`${formatTable(['profile', 'MX hostname', 'address', 'misconfiguration'], rows)}\n`);
  });
}
