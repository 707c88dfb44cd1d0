import type { Command } from 'commander';
import { ensurePki } from '../certs/pki.js';
import { parseIP } from '../profiles/addressing.js';
import { DEFAULT_DNS } from '../run/run-matrix.js';
import { checkCanExec, execInHarness, harnessDnsAnswers } from '../senders/mta/exec-in-harness.js';
import type { CliContext } from './cli-io.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelectionFlags } from './common-options.js';
import { examplesText } from './help-text.js';

interface ExecFlags extends FleetSelectionFlags {
  dns: string;
}

/**
 * `badmx exec -- <command>`: run the user's own MTA (or a `dig`) with its DNS pointed at the
 * harness DNS server only, as badmx runs its managed senders. The exit code is the command's.
 */
export function registerExecCommand(program: Command, context: CliContext): void {
  addFleetSelectionOptions(
    program
      .command('exec')
      .description(
        'run a command (your own MTA, dig, getent) whose resolver sees only the harness DNS server, in its own mount namespace; needs root. ' +
          'Its environment gets BADMX_CA_FILE (the CA bundle to trust) and BADMX_DNS. Put -- before the command',
      )
      .argument('[command...]', 'the command and its arguments, after --')
      .option('--dns <ip>', 'the harness DNS server the command must use (port 53), as given to badmx serve --dns or badmx run --dns', DEFAULT_DNS.address),
  ).addHelpText('after', examplesText(["sudo badmx exec -- dig +short MX tls1.2.badmx.test", "sudo badmx exec --dns 127.0.2.253 -- /usr/sbin/postfix start-fg"])).action(async (command: string[], flags: ExecFlags) => {
    checkCanExec(command);
    const dns = { address: parseIP(flags.dns, '--dns'), port: DEFAULT_DNS.port };
    const selection = normalizeFleetSelection(flags, context.io.env);
    const pki = await ensurePki({ dir: selection.certsDir, zone: selection.zone, profiles: selection.profiles, naming: selection.naming });
    if (!(await harnessDnsAnswers(dns, selection.zone))) {
      context.io.stderr.write(
        `badmx: note: nothing answers for ${selection.zone} on ${dns.address}:${dns.port} yet; lookups fail until "badmx serve --dns ${dns.address}" or "badmx run --dns ${dns.address}" runs\n`,
      );
    }
    context.exitCode = await execInHarness({ command, dns, env: { BADMX_CA_FILE: pki.caFile, BADMX_DNS: dns.address } });
  });
}
