import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { outputGone } from './broken-pipe.js';
import type { CliContext } from './cli-io.js';
import { EXIT_INCONCLUSIVE, EXIT_INTERRUPTED } from './exit-codes.js';
import { addExamples } from './help-text.js';
import { addRunOptions, executeRun } from './run-command.js';

/** demo's --wait: the built-in senders settle within a second or two, and a demonstration should not wait a minute for nothing. */
export const DEMO_WAIT = '15s';

/**
 * `badmx demo`: the whole idea in a few seconds with nothing installed: the fleet, the
 * two built-in senders side by side, the strict policy. Its failing cells are the point,
 * so it exits 0 whenever the demonstration ran (3 if a cell went untested). Its --wait
 * defaults to 15 s, and a --wait given is honoured as given (60s is 60 s).
 */
export function registerDemoCommand(program: Command, context: CliContext): void {
  const demo = addRunOptions(
    program.command('demo').description('run the fleet against the two built-in senders (opportunistic vs strict) under the strict policy'),
    { wait: DEMO_WAIT, publicMode: false },
  );
  addExamples(demo, ['badmx demo --port 2525', 'badmx demo --port-range 2601 --out /tmp/demo --format json,html']).action(async (flags: Parameters<typeof executeRun>[1]) => {
    if (flags.config) throw new BadmxError('badmx demo runs on this machine with the built-in senders; for public mode use badmx run --config', 'EUSAGE');
    const document = await executeRun(context, flags, ['builtin:opportunistic', 'builtin:strict']);
    // Failing cells are the demonstration; an untested one means it did not work.
    if (context.exitCode !== EXIT_INTERRUPTED && !outputGone()) context.exitCode = document.summary.inconclusive > 0 ? EXIT_INCONCLUSIVE : 0;
  });
}
