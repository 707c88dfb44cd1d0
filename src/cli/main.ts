import { Command, CommanderError } from 'commander';
import { BadmxError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT_BROKEN_PIPE, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { brokenPipe } from './broken-pipe.js';
import { processIo, type CliContext, type CliIo } from './cli-io.js';
import { registerCaCommand } from './ca-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerExecCommand } from './exec-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerProfilesCommand } from './profiles-command.js';
import { registerReceivedCommand } from './received-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRunCommand } from './run-command.js';
import { registerSchemaCommand } from './schema-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerTlsrptCommand } from './tlsrpt-command.js';
import { registerZoneCommand } from './zone-command.js';

export { EXIT_USAGE } from './exit-codes.js';

export { EXIT_BROKEN_PIPE } from './exit-codes.js';

/**
 * The program: every command registered against one invocation's context (its io, and the
 * exit status its command settles on). Building it runs nothing.
 */
export function buildProgram(context: CliContext = { io: processIo(), exitCode: undefined }): Command {
  const { io } = context;
  const program = new Command('badmx')
    .description('What does your sender really do when the receiving MX is misconfigured? A fleet of deliberately broken SMTP receivers.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Commander's own usage errors, as one line like every other badmx error.
      writeErr: (text) => io.stderr.write(/^error:/.test(text) ? `${text.replace(/^error:/, 'badmx:').trimEnd()} (see --help)\n` : text),
    });
  registerDemoCommand(program, context);
  registerRunCommand(program, context);
  registerReportCommand(program, context);
  registerServeCommand(program, context);
  registerExecCommand(program, context);
  registerStatusCommand(program, context);
  registerCaCommand(program, context);
  registerProfilesCommand(program, context);
  registerExplainCommand(program, context);
  registerReceivedCommand(program, context);
  registerTlsrptCommand(program, context);
  registerZoneCommand(program, context);
  registerSchemaCommand(program, context);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Run the CLI once: `argv` as process.argv has it (node, script, arguments…), everything
 * read and written through `io`. Returns the exit status; sets nothing on the process and
 * never exits it, so a test or a program embedding badmx calls it in process.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: CliContext = { io, exitCode: undefined };
  try {
    await buildProgram(context).parseAsync(argv);
    // a command settles the exit status of its verdicts (run: 1 when a cell fails)
    return context.exitCode ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof BadmxError) {
      io.stderr.write(`badmx: ${oneLine(error.message)}\n`);
      return exitCodeFor(error);
    }
    io.stderr.write(unexpected(error, io.env));
    return EXIT_USAGE;
  }
}

/** Whether BADMX_DEBUG asks for stack traces (any value but empty, 0, false, no). */
function debugging(env: CliIo['env']): boolean {
  const value = env.BADMX_DEBUG?.trim().toLowerCase();
  return value !== undefined && !['', '0', 'false', 'no'].includes(value);
}

/**
 * An error badmx did not expect, as one line: its kind and message. The stack trace (which
 * helps a developer, not a user, and would print a path into the code for any odd input)
 * only with BADMX_DEBUG=1.
 */
function unexpected(error: unknown, env: CliIo['env']): string {
  if (debugging(env)) return `badmx: unexpected error: ${error instanceof Error && error.stack ? error.stack : safeString(error)}\n`;
  const what = error instanceof Error ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}` : safeString(error);
  const hint = error instanceof RangeError && /call stack/i.test(error.message) ? ' (an input nested too deeply?)' : '';
  return `badmx: unexpected error: ${oneLine(what)}${hint} (BADMX_DEBUG=1 shows where)\n`;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}

/** One line, and no terminal control sequences from a file name or a reply in it. */
function oneLine(text: string): string {
  return (
    text
      .replace(/\s*[\r\n]+\s*/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}

/**
 * What ends badmx outside main()'s own try: a closed pipe on its output (see
 * EXIT_BROKEN_PIPE), or an error thrown where nothing catches it (a callback, an event
 * handler). Either way no stack trace, unless BADMX_DEBUG asks for it.
 */
export function guardProcess(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        // A run or serve ends in order (its fleet stopped, run.json written), then exits 141; anything else at once.
        if (brokenPipe()) process.exitCode = EXIT_BROKEN_PIPE;
        else process.exit(EXIT_BROKEN_PIPE);
        return;
      }
      // Output that cannot be written (a terminal gone: EIO) is the end of this run too; say so where it still can be said.
      if (stream === process.stdout) process.stderr.write(`badmx: cannot write the output: ${oneLine(error.code ?? error.message)}\n`);
      process.exit(EXIT_USAGE);
    });
  }
  process.on('uncaughtException', (error) => {
    // Writing to a broken stderr fails again, into the stream's error handler above.
    process.stderr.write(unexpected(error, process.env));
    process.exit(EXIT_USAGE);
  });
}

/** The program as the `badmx` bin runs it (bin.ts): the process guarded, argv parsed, the exit status set. Importing this module does nothing. */
export async function runCli(argv: string[] = process.argv): Promise<void> {
  guardProcess();
  const status = await main(argv, processIo());
  // A closed pipe during the command (guardProcess) outranks its verdict: the output was cut short.
  process.exitCode = process.exitCode === EXIT_BROKEN_PIPE ? EXIT_BROKEN_PIPE : status;
}
