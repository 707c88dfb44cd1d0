#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { BadmxError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT_RUNTIME, EXIT_USAGE } from './exit-codes.js';
import { registerCaCommand } from './ca-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerExecCommand } from './exec-command.js';
import { registerProfilesCommand } from './profiles-command.js';
import { registerReceivedCommand } from './received-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerZoneCommand } from './zone-command.js';

export { EXIT_USAGE } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('badmx')
    .description('What does your sender really do when the receiving MX is misconfigured? A fleet of deliberately broken SMTP receivers.')
    .version(VERSION)
    .exitOverride()
    // Commander's own usage errors, as one line like every other badmx error.
    .configureOutput({
      writeErr: (text) => process.stderr.write(/^error:/.test(text) ? `${text.replace(/^error:/, 'badmx:').trimEnd()} (see --help)\n` : text),
    });
  registerDemoCommand(program);
  registerRunCommand(program);
  registerReportCommand(program);
  registerServeCommand(program);
  registerExecCommand(program);
  registerStatusCommand(program);
  registerCaCommand(program);
  registerProfilesCommand(program);
  registerReceivedCommand(program);
  registerZoneCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // a command sets process.exitCode for its verdicts (run: 1 when a cell fails)
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof BadmxError || (error instanceof Error && error.name === 'SenderError')) {
      process.stderr.write(`badmx: ${error.message}\n`);
      return error instanceof BadmxError && error.code === 'EFAILED' ? EXIT_RUNTIME : EXIT_USAGE;
    }
    process.stderr.write(`badmx: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv);
