import type { ReceiverEvent } from '../recorder/events.js';

/**
 * What a profile's MTA-STS policy host saw of a sender: each fetch of the policy (RFC 8461
 * §3.3), each handshake the client broke off (a sender refusing the policy host's
 * certificate), each TLS-RPT report POSTed (RFC 8460 §5.4). Evidence in the cell: a sender
 * that never fetched the policy cannot have honoured it.
 */
export interface PolicyFetch {
  time: string;
  kind: 'fetch' | 'tls-failed' | 'report';
  /** The client's address. */
  peer: string;
  sni: string | null;
  /** HTTP status answered (fetches and reports), or null. */
  status: number | null;
  tlsVersion: string | null;
  /** The TLS alert the client sent, for a failed handshake. */
  alert: string | null;
  userAgent: string | null;
  /**
   * `sender`: told apart as this cell's sender's (its own name in the User-Agent, or the only
   * sender whose window covers it); `unattributed`: some sender whose window covers it, no
   * telling which (MTAs side by side fetch from the same address with the same software).
   */
  by: 'sender' | 'unattributed';
}

type PolicyEvent = Extract<ReceiverEvent, { type: 'policy-fetch' | 'policy-tls-failed' | 'tlsrpt-post' }>;

/**
 * The policy host's records for one cell: events of the cell's profile, in its sender's
 * windows, that are its sender's or cannot be told apart from another's. `names` are the
 * senders' own names where they put one in the User-Agent (badmx's built-in senders: their
 * EHLO name); an event naming another sender is that sender's.
 */
export function policyFetchesOf(
  events: readonly ReceiverEvent[],
  cell: { sender: string; profile: string },
  context: { names: ReadonlyMap<string, string>; windows: readonly { sender: string; profiles: readonly string[]; start: string; end: string }[] },
): PolicyFetch[] {
  const found: PolicyFetch[] = [];
  const within = (sender: string, time: string): boolean =>
    context.windows.some((w) => w.sender === sender && w.profiles.includes(cell.profile) && w.start <= time && time <= w.end);
  for (const event of events) {
    if (event.profile !== cell.profile) continue;
    if (event.type !== 'policy-fetch' && event.type !== 'policy-tls-failed' && event.type !== 'tlsrpt-post') continue;
    const policyEvent: PolicyEvent = event;
    const agent = policyEvent.type === 'policy-tls-failed' ? null : policyEvent.userAgent;
    const named = agent === null ? undefined : [...context.names].find(([, name]) => agent.includes(name))?.[0];
    if (named !== undefined && named !== cell.sender) continue;
    const covering = new Set(context.windows.filter((w) => w.profiles.includes(cell.profile) && w.start <= event.time && event.time <= w.end).map((w) => w.sender));
    if (!within(cell.sender, event.time)) continue;
    const by = named === cell.sender || (covering.size === 1 && covering.has(cell.sender)) ? 'sender' : 'unattributed';
    found.push(toFetch(policyEvent, by));
  }
  return found;
}

function toFetch(event: PolicyEvent, by: PolicyFetch['by']): PolicyFetch {
  // Keys in the order run.json's schema lists them, so a document reads back byte for byte.
  const fetch = (kind: PolicyFetch['kind'], fields: Pick<PolicyFetch, 'status' | 'tlsVersion' | 'alert' | 'userAgent'>): PolicyFetch => ({
    time: event.time,
    kind,
    peer: event.peer.address,
    sni: event.sni,
    ...fields,
    by,
  });
  switch (event.type) {
    case 'policy-fetch':
      return fetch('fetch', { status: event.status, tlsVersion: event.tlsVersion, alert: null, userAgent: event.userAgent });
    case 'policy-tls-failed':
      return fetch('tls-failed', { status: null, tlsVersion: null, alert: event.alert, userAgent: null });
    case 'tlsrpt-post':
      return fetch('report', { status: event.status, tlsVersion: null, alert: null, userAgent: event.userAgent });
  }
}
