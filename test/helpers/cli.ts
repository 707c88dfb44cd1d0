import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa, type Options } from 'execa';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/cli-io.js';

/** What one CLI invocation left: as execa reports a child's (final newline stripped), so a test reads the same either way. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stderr and stdout interleaved in the order they were written. */
  all: string;
}

export interface InProcessOptions {
  /** Variables the command sees, in io.env and (for the senders' secrets) in process.env while it runs. */
  env?: Record<string, string | undefined>;
  /** Standard input; a pipe unless `stdinTTY`. */
  input?: string;
  stdinTTY?: boolean;
  /** Stops the command as SIGINT/SIGTERM would (run: writes what was recorded; serve: stops). */
  signal?: AbortSignal;
  /** Called with each chunk written to stdout, as it is written (e.g. to wait for "receivers ready"). */
  onStdout?: (text: string) => void;
  /** The same for stderr (progress). */
  onStderr?: (text: string) => void;
}

/**
 * The CLI in process: `main(argv, io)` with captured output. Most CLI tests use this; a
 * handful run the built bin as a real process (`runBin`), where the process itself is what
 * is tested (signals, a closed pipe, dropping root, kill -9).
 */
export async function runInProcess(args: string[], options: InProcessOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let all = '';
  const input = options.input ?? '';
  const stdin = Object.assign(Readable.from(input === '' ? [] : [Buffer.from(input)]), { isTTY: options.stdinTTY === true });
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        stdout += text;
        all += text;
        options.onStdout?.(text);
        return true;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
        all += text;
        options.onStderr?.(text);
        return true;
      },
    },
    stdin,
    env: { ...process.env, ...options.env },
    signal: options.signal,
  };
  const restore = overlayEnv(options.env ?? {});
  try {
    const exitCode = await main(['node', 'badmx', ...args], io);
    return { exitCode, stdout: stripFinalNewline(stdout), stderr: stripFinalNewline(stderr), all: stripFinalNewline(all) };
  } finally {
    restore();
  }
}

function overlayEnv(env: Record<string, string | undefined>): () => void {
  const before = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(env)) {
    before.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of before) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

function stripFinalNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

const ROOT = join(import.meta.dirname, '../..');

/** The built bin, as `npm i -g badmx` runs it (npm test builds before the suite; see ensureBuilt). */
export const BIN = join(ROOT, 'dist/cli/bin.js');

/**
 * The end-to-end tests run dist/, so dist/ must be what src/ says: built by `npm test`
 * before Vitest starts; a developer running Vitest alone after editing src/ gets a clear
 * failure rather than a test of stale code.
 */
export function ensureBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" (npm test does) before the end-to-end tests`);
  const built = statSync(BIN).mtimeMs;
  const stale = newestIn(join(ROOT, 'src'));
  if (stale.mtimeMs > built) throw new Error(`dist/ is older than ${stale.path}: run "npm run build" (npm test does) before the end-to-end tests`);
}

function newestIn(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestIn(path) : { path, mtimeMs: statSync(path).mtimeMs };
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** The built bin as a real process. */
export function runBin(args: string[], options: Options = {}) {
  return execa('node', [BIN, ...args], { reject: false, timeout: 60_000, ...options });
}
