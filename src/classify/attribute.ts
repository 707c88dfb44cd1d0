import type { Probe } from '../probes/probe.js';
import type { ReceiverEvent } from '../recorder/events.js';

/** The time a sender's probes were being sent and awaited. Several senders' windows may overlap (they run side by side). */
export interface SenderWindow {
  sender: string;
  start: string;
  end: string;
  /** The profiles live in the window (a step of a sequential schedule); all when absent. */
  profiles?: string[];
  /** A later phase of a multi-phase profile (the window's one profile): its probes are that phase's. Absent: phase 1. */
  phase?: number;
}

export interface Attribution {
  byProbe: Map<string, ReceiverEvent[]>;
  /**
   * Connections that name a probe but reached another profile's receiver (a late retry on a
   * shared address after the probe's step): kept with their probe, never classified as the
   * probe's outcome nor as the live profile's.
   */
  misdirected: Map<string, string[]>;
  /** Connections that belong to no probe (a scanner, a sender retrying after its window). */
  stray: string[];
}

/**
 * Decide which probe each connection belongs to.
 *
 * 1. By content: a connection that names a probe (its recipient or envelope sender in
 *    MAIL/RCPT, or its Message-ID) belongs to that probe.
 * 2. By time and by who made it: otherwise, to the probe for that profile of the sender
 *    whose window the connection started in, unless its EHLO name was seen only from another
 *    sender's identified connections (a late retry of an earlier sender). Once a sender has
 *    shown itself by content (its control delivery names its probe), a connection is its own
 *    only if it comes from an address or an EHLO name (or the same parent domain: a
 *    provider's pool of outbound hosts) that its identified connections used: a scanner or
 *    another party that happened to connect in its window is stray, never its refusal.
 *    When several senders' windows hold the connection (senders side by side): senders whose
 *    EHLO name is known in advance (badmx's built-in ones) and is not the one it greeted with
 *    are ruled out; one whose known name it is, is the one; if one sender remains, it is
 *    judged as a lone sender is. Otherwise it is the one sender's whose identified connections
 *    match it most closely (the same EHLO name, else address, else parent domain), and only
 *    when every remaining sender has shown itself on some connection: two senders that look
 *    alike, or one that never named a probe, leave such a connection stray. Their cells then
 *    say what was not seen, never what another sender did.
 *
 * Never by time: a connection that named recipients, none of them a probe's (a scanner
 * or a spammer trying addresses during a sender's window: whatever it did says nothing
 * about the sender, whose probe names its recipient), and a connection the receiver
 * turned away at a per-peer limit before any session (the harness's doing, not the
 * sender's). Both are stray.
 */
export function attributeConnections(
  events: ReceiverEvent[],
  probes: Probe[],
  windows: SenderWindow[],
  /** The EHLO name each sender always uses, where it is known in advance (badmx's built-in senders). */
  declaredHelo: ReadonlyMap<string, string> = new Map(),
): Attribution {
  const byConn = new Map<string, ReceiverEvent[]>();
  for (const event of events) {
    if (!event.conn) continue;
    const list = byConn.get(event.conn) ?? [];
    list.push(event);
    byConn.set(event.conn, list);
  }
  const byRecipient = new Map(probes.map((p) => [p.recipient.toLowerCase(), p]));
  const byFrom = new Map(probes.map((p) => [p.from.toLowerCase(), p]));
  const byMessageId = new Map(probes.map((p) => [p.messageId, p]));

  const identified = new Map<string, Probe>();
  const heloSenders = new Map<string, Set<string>>();
  // What each sender looked like on its identified connections: peer addresses, EHLO names and their parent domains.
  const seenFrom = new Map<string, Set<string>>();
  const remember = (sender: string, key: string): void => {
    seenFrom.set(sender, (seenFrom.get(sender) ?? new Set()).add(key));
  };
  for (const [conn, list] of byConn) {
    const probe = identify(list, byRecipient, byFrom, byMessageId);
    if (!probe) continue;
    identified.set(conn, probe);
    const helo = heloOf(list);
    if (helo) heloSenders.set(helo, (heloSenders.get(helo) ?? new Set()).add(probe.sender));
    for (const key of identityKeys(list)) remember(probe.sender, key);
  }

  const byProbe = new Map<string, ReceiverEvent[]>(probes.map((p) => [p.id, []]));
  const misdirected = new Map<string, string[]>();
  const stray: string[] = [];
  for (const [conn, list] of byConn) {
    let probe = identified.get(conn);
    if (probe && list[0]?.profile !== undefined && list[0].profile !== probe.profile) {
      misdirected.set(probe.id, [...(misdirected.get(probe.id) ?? []), conn]);
      continue;
    }
    if (!probe && !attributableByTime(list)) {
      stray.push(conn);
      continue;
    }
    if (!probe) {
      const start = list[0]?.time ?? '';
      const profile = list[0]?.profile;
      const open = windows.filter((w) => start >= w.start && start <= w.end && (!w.profiles || (profile !== undefined && w.profiles.includes(profile))));
      const live = [...new Set(open.map((w) => w.sender))];
      const helo = heloOf(list);
      // A sender whose EHLO name is known in advance did not make a connection that greeted with another.
      const candidates = live.filter((s) => !(helo !== null && declaredHelo.has(s) && declaredHelo.get(s) !== helo));
      let sender: string | undefined;
      if (candidates.length > 1) {
        const declared = candidates.filter((s) => declaredHelo.get(s) === helo);
        // By what the others showed of themselves, only when each of them did show itself: one
        // that never named a probe could look like any of them.
        sender = declared.length === 1 ? declared[0] : candidates.every((s) => seenFrom.has(s)) ? closestSender(candidates, identityKeys(list), seenFrom) : undefined;
      } else {
        sender = candidates[0];
        const known = helo ? heloSenders.get(helo) : undefined;
        if (sender && known && !known.has(sender) && known.size === 1) sender = [...known][0];
        const seen = sender === undefined ? undefined : seenFrom.get(sender);
        if (seen && !identityKeys(list).some((key) => seen.has(key))) sender = undefined;
      }
      // A multi-phase profile has a probe per phase: the one of the latest phase whose window holds the connection.
      const phase = Math.max(1, ...open.filter((w) => w.sender === sender).map((w) => w.phase ?? 1));
      probe = probes.find((p) => p.sender === sender && p.profile === profile && (p.phase ?? 1) === phase) ?? probes.find((p) => p.sender === sender && p.profile === profile);
    }
    if (probe) byProbe.get(probe.id)?.push(...list);
    else stray.push(conn);
  }
  return { byProbe, misdirected, stray };
}

function identify(
  list: ReceiverEvent[],
  byRecipient: Map<string, Probe>,
  byFrom: Map<string, Probe>,
  byMessageId: Map<string, Probe>,
): Probe | undefined {
  for (const event of list) {
    if (event.type === 'rcpt-to') {
      const probe = byRecipient.get(event.address.toLowerCase());
      if (probe) return probe;
    }
    if (event.type === 'mail-from') {
      const probe = byFrom.get(event.address.toLowerCase());
      if (probe) return probe;
    }
    if (event.type === 'data' && event.messageId) {
      const probe = byMessageId.get(event.messageId);
      if (probe) return probe;
    }
  }
  return undefined;
}

/** Whether a connection that named no probe may still be a sender's attempt (one that never got as far as RCPT). */
function attributableByTime(list: ReceiverEvent[]): boolean {
  // A connection the receiver turned away at a limit, or shed to make room, ended by the harness's doing, not the sender's.
  return !list.some((event) => event.type === 'rcpt-to' || event.type === 'peer-limit' || event.type === 'shed');
}

/**
 * How a connection's client can be recognised: its address, its EHLO name, and that name's
 * parent domain (a provider's outbound hosts share one: a-12.smtp-out.example.com and
 * a-13.smtp-out.example.com), when the name has at least three labels.
 */
function identityKeys(list: ReceiverEvent[]): string[] {
  const keys: string[] = [];
  const connect = list.find((e) => e.type === 'connect');
  if (connect?.type === 'connect') keys.push(`ip:${connect.peer.address.replace(/^::ffff:/, '')}`);
  const helo = heloOf(list);
  if (helo) {
    keys.push(`helo:${helo}`);
    const labels = helo.split('.');
    if (labels.length >= 3) keys.push(`parent:${labels.slice(1).join('.')}`);
  }
  return keys;
}

/**
 * Of several senders live at once, the one whose identified connections match this
 * connection's client most closely: by EHLO name, else address, else parent domain (a weaker
 * kind only when no sender showed the stronger one). Undefined when no single one: two senders
 * that showed the same key look alike.
 */
function closestSender(live: readonly string[], keys: readonly string[], seenFrom: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  for (const kind of ['helo:', 'ip:', 'parent:']) {
    const key = keys.find((k) => k.startsWith(kind));
    if (key === undefined) continue;
    const matching = live.filter((sender) => seenFrom.get(sender)?.has(key) === true);
    if (matching.length === 1) return matching[0];
    // Several senders showed this very key: they look alike, and a weaker key cannot tell them apart honestly.
    if (matching.length > 1) return undefined;
  }
  return undefined;
}

/**
 * The name the client gave in its EHLO or HELO: the greeting the receiver answered 250, or else
 * the first it sent at all. A greeting the receiver refused (ehlo-refused answers EHLO 500) still
 * names the client, which is all attribution needs of it.
 */
function heloOf(list: ReceiverEvent[]): string | null {
  const helo = list.find((e) => e.type === 'helo');
  if (helo?.type === 'helo') return helo.name.toLowerCase();
  const stated = list.find((e) => e.type === 'command' && !e.discarded && (e.verb === 'EHLO' || e.verb === 'HELO'));
  const name = stated?.type === 'command' ? stated.line.trim().split(/\s+/)[1] : undefined;
  return name ? name.toLowerCase() : null;
}
