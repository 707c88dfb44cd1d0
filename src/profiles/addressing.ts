import { isIP, isIPv4 } from 'node:net';
import { BadmxError } from '../errors.js';

/**
 * Where each profile listens.
 * - `per-profile`: every profile on its own address, <base> + slot (default 127.0.2.N), all
 *   on one port (25, like a real MX). On Linux all of 127.0.0.0/8 is local, so no setup is needed.
 * - `port-range`: every profile on one address, port <first> + slot - 1: for systems where
 *   only 127.0.0.1 exists, or users who cannot bind port 25.
 * - `per-profile-list`: every profile on its own address from a list (public mode with
 *   several IPv4 addresses or an IPv6 range), in slot order.
 * - `shared`: every profile on the same address and port, one at a time (public mode with a
 *   single address: the run steps through the profiles, see run-schedule.ts).
 */
export type Addressing =
  | { kind: 'per-profile'; base: string; port: number }
  | { kind: 'port-range'; address: string; firstPort: number }
  | { kind: 'per-profile-list'; addresses: string[]; port: number }
  | { kind: 'shared'; address: string; port: number };

export const DEFAULT_ADDRESSING: Addressing = { kind: 'per-profile', base: '127.0.2.0', port: 25 };

export function listenAddress(addressing: Addressing, slot: number): { address: string; port: number } {
  if (addressing.kind === 'shared') return { address: addressing.address, port: addressing.port };
  if (addressing.kind === 'per-profile-list') {
    const address = addressing.addresses[slot - 1];
    if (!address) throw new BadmxError(`profile slot ${slot} has no address: give at least as many addresses as profiles, or one for a sequential schedule`, 'EUSAGE');
    return { address, port: addressing.port };
  }
  if (addressing.kind === 'port-range') {
    const port = addressing.firstPort + slot - 1;
    if (port > 65535) throw new BadmxError(`slot ${slot} does not fit in the port range starting at ${addressing.firstPort}`, 'EUSAGE');
    return { address: addressing.address, port };
  }
  const octets = addressing.base.split('.').map(Number);
  const last = (octets[3] ?? 0) + slot;
  if (last > 254) {
    throw new BadmxError(`slot ${slot} does not fit after the address base ${addressing.base}; use a base ending in .0`, 'EUSAGE');
  }
  return { address: [octets[0], octets[1], octets[2], last].join('.'), port: addressing.port };
}

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new BadmxError(`${flag} must be a port number from 1 to 65535, not "${value}"`, 'EUSAGE');
  }
  return port;
}

export function parseIPv4(value: string, flag: string): string {
  if (!isIPv4(value)) throw new BadmxError(`${flag} must be an IPv4 address such as 127.0.2.0, not "${value}"`, 'EUSAGE');
  return value;
}

/** An IPv4 or IPv6 address (public mode listens on either). */
export function parseIP(value: string, flag: string): string {
  if (!isIP(value)) throw new BadmxError(`${flag} must be an IPv4 or IPv6 address, not "${value}"`, 'EUSAGE');
  return value;
}
