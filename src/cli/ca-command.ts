import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { ensurePki } from '../certs/pki.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelectionFlags } from './common-options.js';
import { examplesText } from './help-text.js';

/** `badmx ca`: make sure the test PKI exists and print the path of the CA bundle a sender must trust. */
export function registerCaCommand(program: Command, { io }: CliContext): void {
  addFleetSelectionOptions(
    program
      .command('ca')
      .description('generate the test PKI if needed and print the path of the CA bundle (the root only) that a sender under test must trust'),
  ).addHelpText('after', examplesText(["badmx ca", "badmx ca --zone badmx.example.com --certs /var/lib/badmx/certs"])).action(async (flags: FleetSelectionFlags) => {
    const selection = normalizeFleetSelection(flags, io.env);
    const pki = await ensurePki({ dir: selection.certsDir, zone: selection.zone, profiles: selection.profiles });
    io.stdout.write(`${pki.caFile}\n`);
  });
}
