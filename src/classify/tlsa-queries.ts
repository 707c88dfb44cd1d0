import type { ReceiverEvent } from '../recorder/events.js';

/**
 * What the harness DNS saw of a sender's TLSA lookups for one DANE profile (RFC 7672 §2.2.3):
 * a sender that never asked for the records cannot have honoured them. Evidence in the cell.
 */
export interface TlsaQuery {
  time: string;
  /** The asking resolver's address. */
  peer: string;
  /** What the harness DNS answered (a validating resolver may still have called it bogus). */
  rcode: string;
  /**
   * `sender`: asked from the address of this sender's own validating resolver (its
   * `sender-resolver` event); `unattributed`: from an address no sender declared (a sender that
   * resolves through the harness DNS directly, as managed MTAs without a resolver of their own
   * do), within this sender's window for the profile: some sender asked, no telling which.
   */
  by: 'sender' | 'unattributed';
}

/** The TLSA queries of one cell: its profile's, asked by its sender's resolver or by no sender's in particular. */
export function tlsaQueriesOf(
  events: readonly ReceiverEvent[],
  cell: { sender: string; profile: string },
  windows: readonly { sender: string; profiles: readonly string[]; start: string; end: string }[],
): TlsaQuery[] {
  // An address belongs to the sender that declared it last before the query (a resumed run's resolvers may reuse one).
  const owners = new Map<string, string>();
  const found: TlsaQuery[] = [];
  for (const event of events) {
    if (event.type === 'sender-resolver') {
      owners.set(event.address, event.sender);
      continue;
    }
    if (event.type !== 'dns-query' || event.profile !== cell.profile) continue;
    const owner = owners.get(event.peer);
    if (owner !== undefined && owner !== cell.sender) continue;
    if (owner === undefined && !windows.some((w) => w.sender === cell.sender && w.profiles.includes(cell.profile) && w.start <= event.time && event.time <= w.end)) continue;
    found.push({ time: event.time, peer: event.peer, rcode: event.rcode, by: owner === cell.sender ? 'sender' : 'unattributed' });
  }
  return found;
}
