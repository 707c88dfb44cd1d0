import { join } from 'node:path';
import { receivedHopsOldestFirst } from '../evidence/parse-received.js';
import { readMessageHead } from '../evidence/read-message-head.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Cell } from '../document/run-document.js';

export interface HopEvidence {
  hops: ReceivedHop[] | null;
  evidenceMismatch: string | null;
}

/**
 * The Received chain of a delivered probe, read from the message the receiver stored
 * (its own stamp on top, then whatever earlier hops wrote: a relay's stamp, the
 * sender's submission hop), oldest first, and the cross-check of the receiver's own hop
 * against its session record. A probe that was not delivered, or whose stored message
 * cannot be read, has no chain (null): there is nothing to compare.
 */
export function readHopEvidence(runDir: string, message: string | null, mxHostname: string, session: Cell['tls']): HopEvidence {
  if (message === null) return { hops: null, evidenceMismatch: null };
  let text: string;
  try {
    text = readMessageHead(join(runDir, message));
  } catch {
    return { hops: null, evidenceMismatch: null };
  }
  return hopEvidence(receivedHopsOldestFirst(text), mxHostname, session);
}

/** The same from the stored message's chain, already read (recorded-facts.ts); null (not delivered, unreadable): no chain. */
export function hopEvidence(chain: readonly ReceivedHop[] | null, mxHostname: string, session: Cell['tls']): HopEvidence {
  if (chain === null) return { hops: null, evidenceMismatch: null };
  const hops = [...chain];
  return { hops, evidenceMismatch: crossCheckReceiverHop(hops, mxHostname, session) };
}

/**
 * Does the receiver's own Received field tell the same story as its session record?
 * The receiver stamps every message it accepts, on top (RFC 5321 §4.4), with what its
 * TLS socket negotiated; so its hop is the newest and is by its MX hostname. A
 * disagreement means the evidence cannot be trusted as it stands: a stamp that is not
 * ours on top (the receiver did not stamp, or something rewrote the header), a stamp
 * that claims TLS for a plaintext session or plaintext for a TLS one, or a different
 * version. Returns one line saying which, or null when they agree or when the stamp
 * states nothing comparable (TLS 'unknown', or a TLS stamp without a version).
 */
export function crossCheckReceiverHop(hops: ReceivedHop[], mxHostname: string, session: Cell['tls']): string | null {
  const own = hops[hops.length - 1];
  if (own === undefined) return null;
  if (own.by.host?.toLowerCase() !== mxHostname.toLowerCase()) {
    return `the newest Received field is by ${own.by.host ?? 'no named host'}, not by the receiver ${mxHostname}`;
  }
  const stated = own.tls;
  const by = `Received by ${mxHostname}`;
  if (stated.tls === false && session !== null) {
    return `${by} says plaintext (with ${own.with ?? '?'}) but the session negotiated ${session.version}`;
  }
  if (stated.tls === true && session === null) {
    return `${by} says TLS${stated.version ? ` (${stated.version})` : ''} but the session was plaintext`;
  }
  if (stated.tls === true && session !== null && stated.version !== null && session.version !== 'unknown' && stated.version !== session.version) {
    return `${by} says ${stated.version} but the session negotiated ${session.version}`;
  }
  return null;
}
