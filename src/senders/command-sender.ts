import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import type { Probe } from '../probes/probe.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender } from './sender.js';

/**
 * `command:` runs a command for each probe with the message on standard input: a local
 * MTA's sendmail interface (`sendmail -t -i`), a vendor's CLI, a script. The probe's
 * envelope is in the environment (BADMX_PROBE_FROM, BADMX_PROBE_RECIPIENT, BADMX_PROBE_ID),
 * for commands that do not read it from the headers. Exit status 0 means accepted.
 */
export class CommandSender implements Sender {
  readonly kind = 'command' as const;
  readonly spec: string;
  readonly label: string;
  readonly notes: string[] = [];
  readonly #argv: string[];

  constructor(spec: string, argv: string[]) {
    if (argv.length === 0) throw new SenderError(`${spec}: no command given (e.g. command:sendmail -t -i)`);
    this.spec = spec;
    this.label = spec;
    this.#argv = argv;
  }

  check(): Promise<void> {
    const program = this.#argv[0] ?? '';
    if (!findExecutable(program)) {
      return Promise.reject(new SenderError(`${this.spec}: "${program}" is not an executable file${isAbsolute(program) ? '' : ' on PATH'}`));
    }
    return Promise.resolve();
  }

  async send(probe: Probe, message: string, _target: ProbeTarget): Promise<SendResult> {
    const [file = '', ...args] = this.#argv;
    const result = await execa(file, args, {
      input: message,
      reject: false,
      timeout: 60_000,
      env: { BADMX_PROBE_FROM: probe.from, BADMX_PROBE_RECIPIENT: probe.recipient, BADMX_PROBE_ID: probe.id },
    });
    if (result.exitCode === 0 && !result.timedOut) {
      return { accepted: true, final: false, detail: 'command exited 0' };
    }
    const why = result.timedOut ? 'timed out after 60 s' : result.exitCode === undefined ? String(result.shortMessage) : `exited ${result.exitCode}`;
    const stderr = String(result.stderr ?? '').trim().split('\n')[0] ?? '';
    // sysexits.h EX_TEMPFAIL (75), which sendmail(8) and its look-alikes exit with for "try again later".
    const kind = result.timedOut || result.exitCode === undefined ? 'unreachable' : result.exitCode === EX_TEMPFAIL ? 'temporary' : 'permanent';
    return { accepted: false, final: true, detail: `command ${why}${stderr ? `: ${stderr.slice(0, 200)}` : ''}`, failure: { kind, code: null } };
  }

  close(): Promise<void> {
    return Promise.resolve(); // nothing held open
  }
}

const EX_TEMPFAIL = 75;

function findExecutable(program: string): boolean {
  const candidates = program.includes('/') ? [program] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Split a command line like a POSIX shell does for words and quotes (no expansion). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new SenderError(`unterminated ${quote} quote in command: ${line}`);
  if (inWord) words.push(word);
  return words;
}
