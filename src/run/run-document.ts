import type { ConnectionSummary, Outcome } from '../classify/outcome.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Verdict } from '../policy/evaluate.js';
import type { Policy, PolicyRule } from '../policy/policy-schema.js';
import type { FleetMember } from '../receivers/fleet.js';
import type { Profile } from '../receivers/profile-schema.js';
import type { TlsVersion } from '../recorder/events.js';

/**
 * run.json: the single source every report is rendered from. Bump SCHEMA_VERSION on
 * any change that is not a pure addition, and say so in the README.
 */
export const SCHEMA_VERSION = 1;

/** A profile as it ran: where it listened (the fleet member), what it was, and what the policy expected of it. */
export interface RunProfile extends FleetMember {
  slot: number;
  starttls: Profile['starttls'];
  tls: Profile['tls'];
  certificate: Profile['certificate'];
  /** What the policy expected here, and why. */
  expected: { expect: PolicyRule['expect']; minVersion: string | null; because: string };
}

export interface RunSender {
  label: string;
  spec: string;
  kind: 'smtp' | 'command' | 'builtin';
  notes: string[];
  /** When this sender's probes were sent and awaited (senders run one after another). */
  window: { start: string; end: string } | null;
}

export interface Cell {
  sender: string;
  profile: string;
  probe: { id: string; recipient: string; messageId: string };
  outcome: Outcome;
  verdict: Verdict;
  reason: string;
  tls: { version: TlsVersion | 'unknown'; cipher: string } | null;
  alert: string | null;
  connections: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** False when the deadline came first: the sender might still have acted later. */
  settled: boolean;
  /** What the sender said when the probe was handed to it. */
  submission: { accepted: boolean; final: boolean; detail: string } | null;
  /** The receiver's Received header on the delivered probe. */
  received: string | null;
  /** The delivered message as stored by the receiver, relative to run.json. */
  message: string | null;
  evidence: ConnectionSummary[];
  /** The probe's Received chain, parsed, oldest first (absent in runs written before it existed). */
  hops?: ReceivedHop[] | null;
  /** One line when the Received header's TLS disagrees with the receiver's session record. */
  evidenceMismatch?: string | null;
}

export interface RunDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'badmx'; version: string };
  run: {
    id: string;
    status: 'complete' | 'error';
    error: string | null;
    startedAt: string;
    finishedAt: string;
    zone: string;
    waitMs: number;
    caFile: string;
    /** The receivers' event log, relative to run.json. */
    events: string;
  };
  policy: Policy;
  profiles: RunProfile[];
  senders: RunSender[];
  cells: Cell[];
  summary: { cells: number; pass: number; fail: number; unsettled: number };
  /** Connections that belonged to no probe. */
  stray: { connections: number };
}
