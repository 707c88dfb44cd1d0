/**
 * Everything the CLI touches of the world outside it, injected: where it writes, what it
 * reads, its environment, and what stops a long command. `main(argv, io)` runs any command
 * against a CliIo, so a test (or a program embedding badmx) runs the CLI in process and reads
 * what it printed, and the bin passes the real process (`processIo()`).
 */
export interface CliOutput {
  write(text: string): unknown;
  /** A terminal: progress redraws one line and the matrix is coloured (unless NO_COLOR or FORCE_COLOR=0). */
  readonly isTTY?: boolean | undefined;
  /** A terminal's width: the progress line is cut to fit it. */
  readonly columns?: number | undefined;
}

export interface CliInput extends AsyncIterable<Buffer | string> {
  /** A terminal is refused where a pipe is expected, rather than waited on. */
  readonly isTTY?: boolean | undefined;
}

export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  readonly stdin: CliInput;
  /** The environment the CLI itself reads (NO_COLOR, FORCE_COLOR, BADMX_DEBUG, BADMX_CACHE, XDG_CACHE_HOME, HOME); senders read their secrets from process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted to stop a long command as SIGINT does: `run` stops waiting and writes what was
   * recorded (exit 130), `serve` stops its receivers. The real process passes none: its
   * signals do that.
   */
  readonly signal?: AbortSignal | undefined;
  /** The clock of progress lines and heartbeats (elapsed time, deadlines); the real one without it. A test passes one it moves by hand. */
  readonly clock?: CliClock | undefined;
}

/** Time as the CLI's progress reads it, and the one repeating timer it sets. */
export interface CliClock {
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called; never keeps the process alive by itself. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: CliClock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export function clockOf(io: CliIo): CliClock {
  return io.clock ?? systemClock;
}

/** One invocation of the CLI: its io and the exit status its command settled on. */
export interface CliContext {
  readonly io: CliIo;
  exitCode: number | undefined;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/**
 * Whether the matrix is coloured. FORCE_COLOR, when set, decides, as Node (and chalk) read it:
 * empty, `1`, `2`, `3` or `true` is colour even without a terminal (a CI log that renders
 * ANSI), and any other value (`0`, `false`) is none even on one. It outranks NO_COLOR, as in
 * Node itself, which ignores NO_COLOR when FORCE_COLOR is set: the one who forces colour for
 * this invocation means it. Without FORCE_COLOR: colour only on a terminal, and never when
 * NO_COLOR is set to anything but the empty string (no-color.org).
 */
export function useColour(io: CliIo, stream: CliOutput = io.stdout): boolean {
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force.trim().toLowerCase());
  return Boolean(stream.isTTY) && !io.env.NO_COLOR;
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
