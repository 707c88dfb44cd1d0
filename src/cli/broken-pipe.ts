/**
 * What to do when whoever reads badmx's output goes away (EPIPE on stdout or stderr). A
 * command that is short ends at once, quietly (main.ts: exit 141). A command that holds a
 * fleet, a DNS server or a managed MTA registers how to end in order instead: `run` stops
 * waiting and writes run.json and its reports, as on Ctrl-C; `serve` stops as on SIGTERM.
 * The exit status is 141 either way (128 + SIGPIPE).
 */
let handler: (() => void) | null = null;
let broken = false;

/** Register the orderly way out for this command; returns the function that unregisters it. */
export function onBrokenPipe(fn: () => void): () => void {
  handler = fn;
  return () => {
    if (handler === fn) handler = null;
  };
}

/** Called on EPIPE: true when a command ends itself in order (then call again is harmless), false when the caller should exit now. */
export function brokenPipe(): boolean {
  const first = !broken;
  broken = true;
  if (!handler) return false;
  if (first) handler();
  return true;
}

/** Whether the output has gone away during this command. */
export function outputGone(): boolean {
  return broken;
}
