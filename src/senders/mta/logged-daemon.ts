import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { BadmxError } from '../../errors.js';
import { mtaOneLine, signalGroup } from './mta-instance.js';

/**
 * A helper daemon an MTA recipe runs beside its MTA (postfix-mta-sts-resolver, unbound): started
 * in the foreground in a process group of its own, everything it prints appended to its log
 * file as evidence, ready when its output says so (an event, never a fixed sleep), and stopped
 * with TERM, then KILL to the whole group after a grace.
 */
export interface LoggedDaemon {
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startLoggedDaemon(options: {
  /** How errors name it ("unbound", "mta-sts-daemon"). */
  name: string;
  file: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Its output says it serves. */
  ready: RegExp;
  /** Where it serves, for the error when it does not ("on 127.0.0.1:53"); empty for nothing to say. */
  where?: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}): Promise<LoggedDaemon> {
  const child = spawn(options.file, options.args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env,
    // Its own process group: stop() can end whatever is left of it.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  let onOutput = (): void => undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      appendFileSync(options.logFile, `badmx: cannot start ${options.file}: ${error.message}\n`);
      exited = true;
      resolve();
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      appendFileSync(options.logFile, chunk);
      output += chunk.toString();
      onOutput();
    });
  }
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid === undefined || exited) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, options.stopTimeoutMs)))]);
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL');
    await exit;
  };

  const why = (): string => mtaOneLine(output.trim().split('\n').slice(-3).join(' | '));
  const where = options.where ? ` ${options.where}` : '';
  let timer: NodeJS.Timeout | undefined;
  const failure = await new Promise<string | null>((resolve) => {
    onOutput = () => {
      if (options.ready.test(output)) resolve(null);
    };
    onOutput();
    void exit.then(() => resolve(`${options.name} exited before it served${where}: ${why()}`));
    timer = setTimeout(() => resolve(`${options.name} did not serve${where} within ${options.startTimeoutMs} ms: ${why()}`), options.startTimeoutMs);
  });
  clearTimeout(timer);
  onOutput = () => undefined;
  if (failure !== null) {
    await stop();
    throw new BadmxError(failure, 'EMTA');
  }
  return { pid, stop };
}
