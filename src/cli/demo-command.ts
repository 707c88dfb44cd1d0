import type { Command } from 'commander';
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
    await executeRun({ ...flags, wait: flags.wait === '60s' ? '15s' : flags.wait }, ['builtin:opportunistic', 'builtin:strict']);
    if (process.exitCode !== 130) process.exitCode = 0;
  });
}
