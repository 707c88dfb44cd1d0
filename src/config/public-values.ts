import { isIPv4, isIPv6 } from 'node:net';
import { show } from '../files/json-issues.js';

/**
 * An address receivers (or the DNS server) listen on and DNS publishes, in canonical form
 * (IPv6 as RFC 5952 writes it, so "::1" and "0:0::1" are one address), or why it cannot be.
 */
export function canonicalAddress(value: string): string | { problem: string } {
  const text = value.trim();
  if (isIPv4(text)) {
    if (text === '0.0.0.0') return { problem: `${show(value)} is the unspecified address: give the address senders connect to, which DNS publishes` };
    return text;
  }
  if (text.includes('%')) {
    return { problem: `${show(value)} is scoped to one interface ("%…"), which DNS cannot publish: give a global address` };
  }
  if (isIPv6(text)) {
    // The WHATWG URL parser writes IPv6 hosts in RFC 5952 canonical form.
    const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    if (canonical === '::') return { problem: `${show(value)} is the unspecified address: give the address senders connect to, which DNS publishes` };
    return canonical;
  }
  return { problem: `${show(value)} is not an IP address` };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `name` (lower case, no trailing dot) is not a host name (RFC 1123 §2.1), or null. */
export function hostNameProblem(name: string): string | null {
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    return 'is not a host name: use two or more labels of a-z, 0-9 and "-"';
  }
  return null;
}
