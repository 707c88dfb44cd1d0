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

/** A run's exit code from its summary: a failure outranks an untested cell; only an all-pass run exits 0. */
export function runExitCode(summary: { fail: number; inconclusive: number }): number {
  if (summary.fail > 0) return EXIT_FAIL;
  if (summary.inconclusive > 0) return EXIT_INCONCLUSIVE;
  return EXIT_OK;
}
