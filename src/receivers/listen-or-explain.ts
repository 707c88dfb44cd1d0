import type { Server } from 'node:net';
import { BadmxError } from '../errors.js';

/**
 * Listens, or fails with one line naming what could not listen where, and why (`ELISTEN`, which
 * the CLI words further: cli/listen-hint.ts). A port below 1024 without the right to bind it
 * says so. The server's later errors are the caller's to handle.
 */
export async function listenOrExplain(server: Server, address: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new BadmxError(
          `${what} cannot listen on ${address}:${port}: ${error.code ?? error.message}${error.code === 'EACCES' ? ` (port ${port} needs root or CAP_NET_BIND_SERVICE)` : ''}`,
          'ELISTEN',
        ),
      ),
    );
    server.listen(port, address, () => resolve());
  });
}
