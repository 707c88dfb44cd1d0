import { BadmxError } from '../errors.js';

/**
 * Which command's flags move what failed to listen: `run` and `demo` have --shared-address
 * besides --address-base, --port and --port-range; `serve` has not.
 */
export type ListenCommand = 'run' | 'serve';

/**
 * What to do about an address that is taken (EADDRINUSE) or is not the machine's
 * (EADDRNOTAVAIL), said as the port-25 error says it (ports below 1024 need root; try --port
 * 2525): the address and port, why, and the flag that moves it. Any other error is returned
 * as it is. The error keeps its code (a setup error, exit 2) and is its own cause.
 */
export function explainListenError(error: unknown, command: ListenCommand): unknown {
  if (!(error instanceof BadmxError) || error.code !== 'ELISTEN') return error;
  const hint = listenHint(error.message, command);
  if (hint === null) return error;
  // The hint says again what the short reason said: keep one of them.
  const base = error.message.replace(/: (?:something already listens there|that address is not on this machine)$/, '');
  return new BadmxError(`${base}: ${hint}`, error.code, { cause: error });
}

/** The hint for one listen error's message, or null when it is not one of the two. */
export function listenHint(message: string, command: ListenCommand): string | null {
  const inUse = /\bEADDRINUSE\b|something already listens there/.test(message);
  const notHere = /\bEADDRNOTAVAIL\b|that address is not on this machine/.test(message);
  if (!inUse && !notHere) return null;
  const where = /(?:listen on|address) (\S+):(\d+)(?=[: ])/.exec(message);
  const address = where?.[1] ?? 'that address';
  const port = where?.[2] ?? '?';
  const what = /harness DNS/.test(message) ? 'dns' : /^the shared address/.test(message) ? 'shared' : 'receivers';
  const move =
    what === 'dns'
      ? 'serve the harness DNS on another address with --dns <ip>'
      : what === 'shared'
        ? 'choose another with --shared-address <ip> or --port <port>'
        : `move the receivers with --port <port> (e.g. --port 2525), --address-base <ip>${command === 'run' ? ', --shared-address <ip>' : ''} or --port-range <first> (every profile on one address, consecutive ports)`;
  if (inUse) {
    return `something else already listens on ${address}:${port} (another badmx serve or run? ${
      what === 'dns' ? 'a local resolver?' : 'an MTA?'
    } see ss -ltnp 'sport = :${port}'): stop it, or ${move}`;
  }
  return `${address} is not an address of this machine, and badmx can only listen on one it has: on Linux all of 127.0.0.0/8 is loopback; elsewhere add it (ip addr add ${address}/32 dev lo) or run badmx in a network namespace that has it; or ${move}`;
}
