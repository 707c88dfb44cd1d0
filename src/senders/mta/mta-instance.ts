import { createServer } from 'node:net';
import type { SenderEnvironment } from '../sender.js';
import type { MtaLogReader } from './mta-log.js';
import type { MtaRecipe, MtaTimers } from './mta-recipes.js';
import { oneLine } from '../../text/one-line.js';

/** A running private MTA instance: where to submit, what it is, what its log says. */
export interface MtaInstance {
  /** Submission listener on 127.0.0.1. */
  port: number;
  version: string;
  /** The MTA's own log so far. */
  readLog(): string;
  readonly logReader: MtaLogReader;
  /** Its own validating resolver's address (sender-resolver.ts), when it has one. */
  resolverAddress?: string | null;
  stop(): Promise<void>;
}

export interface MtaStartOptions {
  recipe: MtaRecipe;
  env: SenderEnvironment;
  timers: MtaTimers;
  /** The EHLO name and origin of the instance: its own, never the machine's. */
  hostname: string;
}

/** A free port on 127.0.0.1 for the instance's submission listener. */
export async function freePort(): Promise<number> {
  // MTAs start side by side: a port handed to one is never handed to another in this process,
  // though it is free again until that MTA binds it.
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
const handedOut = new Set<number>();

/** Wait until something listens on 127.0.0.1:port, or fail with what the caller knows of why. */
export async function waitForListener(port: number, timeoutMs: number, why: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms: ${why()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Wait until a process is gone; false if it is still there at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Signal a process's group (an MTA daemon started detached leads its own), or the process alone when it leads none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** What an MTA said (its output, the end of its log), as one line of an error message: at most 400 characters. */
export function mtaOneLine(text: string): string {
  return oneLine(text, 400);
}
