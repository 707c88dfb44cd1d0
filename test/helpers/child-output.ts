import type { ResultPromise } from 'execa';

/** Wait until a child process has printed a line matching `pattern` on stdout; throws if it exits first or the time runs out. */
export async function untilOutput(child: ResultPromise, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`badmx exited early: ${String((await child).stderr)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} line`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return stdout;
}
