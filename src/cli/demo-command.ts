import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { addRunOptions, executeRun } from './run-command.js';

/**
 * `badmx demo`: the whole idea in a few seconds with nothing installed: the fleet, the
 * two built-in senders side by side, the strict policy. Its failing cells are the point,
 * so it exits 0 whenever the demonstration ran.
 */
export function registerDemoCommand(program: Command): void {
  addRunOptions(
    program.command('demo').description('run the fleet against the two built-in senders (opportunistic vs strict) under the strict policy'),
  ).action(async (flags: Parameters<typeof executeRun>[0]) => {
    if (flags.config) throw new BadmxError('badmx demo runs on this machine with the built-in senders; for public mode use badmx run --config', 'EUSAGE');
    await executeRun({ ...flags, wait: flags.wait === '60s' ? '15s' : flags.wait }, ['builtin:opportunistic', 'builtin:strict']);
    if (process.exitCode !== 130) process.exitCode = 0;
  });
}
