import type { BadmxError } from '../errors.js';

/**
 * Exit codes of `badmx run` (and the other commands' subset), so that a CI job can tell
 * what happened without parsing anything:
 * - 0: every cell passes;
 * - 1: some cell fails (the sender did what the policy forbids, with evidence);
 * - 2: usage or setup error (a flag, a file, a missing MTA): one line on stderr, nothing ran;
 * - 3: no cell fails but some are inconclusive (probes that were never actually tested);
 * - 4: the run could not complete (a sender could not be reached or used, the run broke
 *   off): what was recorded is in the run directory, and its cells are inconclusive;
 * - 130: interrupted (Ctrl-C).
 */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INCONCLUSIVE = 3;
export const EXIT_RUNTIME = 4;
export const EXIT_INTERRUPTED = 130;
/**
 * Whoever reads badmx's standard output or error went away (`badmx demo | head -3`): 128 +
 * SIGPIPE (13), what a shell reports for any program a closed pipe ends (`seq 1000000 |
 * head -1` under `set -o pipefail`). Node ignores SIGPIPE and reports EPIPE instead, so
 * badmx ends itself the same way, quietly. Not 0: the output was cut short, and a verdict
 * (exit 0 is "every cell passes") would claim more than was shown.
 */
export const EXIT_BROKEN_PIPE = 141;

/** A run's exit code from its summary: a failure outranks an untested cell; only an all-pass run exits 0. */
export function runExitCode(summary: { fail: number; inconclusive: number }): number {
  if (summary.fail > 0) return EXIT_FAIL;
  if (summary.inconclusive > 0) return EXIT_INCONCLUSIVE;
  return EXIT_OK;
}

/**
 * The one mapping from a BadmxError's code to the exit status: a run that could not complete
 * is 4, every other problem badmx names (a flag, a file, a sender's configuration, a missing
 * MTA) is a usage or setup error, 2.
 */
export function exitCodeFor(error: BadmxError): number {
  return error.code === 'EFAILED' ? EXIT_RUNTIME : EXIT_USAGE;
}
