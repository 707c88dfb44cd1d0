/**
 * Everything the CLI touches of the world outside it, injected: where it writes, what it
 * reads, its environment, and what stops a long command. `main(argv, io)` runs any command
 * against a CliIo, so a test (or a program embedding badmx) runs the CLI in process and reads
 * what it printed, and the bin passes the real process (`processIo()`).
 */
export interface CliOutput {
  write(text: string): unknown;
  /** A terminal: progress redraws one line and the matrix is coloured (unless NO_COLOR). */
  readonly isTTY?: boolean | undefined;
}

export interface CliInput extends AsyncIterable<Buffer | string> {
  /** A terminal is refused where a pipe is expected, rather than waited on. */
  readonly isTTY?: boolean | undefined;
}

export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  readonly stdin: CliInput;
  /** The environment the CLI itself reads (NO_COLOR, BADMX_DEBUG); senders read their secrets from process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted to stop a long command as SIGINT does: `run` stops waiting and writes what was
   * recorded (exit 130), `serve` stops its receivers. The real process passes none: its
   * signals do that.
   */
  readonly signal?: AbortSignal | undefined;
}

/** One invocation of the CLI: its io and the exit status its command settled on. */
export interface CliContext {
  readonly io: CliIo;
  exitCode: number | undefined;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColour(io: CliIo): boolean {
  return Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
}

/** Resolves when the io's signal aborts (never, without one); returns the function that stops listening. */
export function onAbort(io: CliIo, fn: () => void): () => void {
  const signal = io.signal;
  if (!signal) return () => {};
  if (signal.aborted) {
    queueMicrotask(fn);
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
