import type { ConnectionSummary, Outcome } from '../classify/outcome.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Verdict } from '../policy/evaluate.js';
import type { Policy, PolicyRule } from '../policy/policy-schema.js';
import type { ServedCertificate } from '../certs/served-certificate.js';
import type { FleetMember } from '../receivers/fleet.js';
import type { Profile } from '../receivers/profile-schema.js';
import type { TlsVersion } from '../recorder/events.js';
import type { SenderKind, SenderSoftware } from '../senders/sender.js';

/**
 * run.json: the single source every report is rendered from. Bump SCHEMA_VERSION on
 * any change that is not a pure addition, and say so in the README.
 */
export const SCHEMA_VERSION = 1;

/** A profile as it ran: where it listened (the fleet member), what it was, and what the policy expected of it. */
export interface RunProfile extends Omit<FleetMember, 'served'> {
  slot: number;
  starttls: Profile['starttls'];
  tls: Profile['tls'];
  certificate: Profile['certificate'];
  /** What the policy expected here, and why. */
  expected: { expect: PolicyRule['expect']; minVersion: string | null; because: string };
  /**
   * The certificate it presented: `user` (--cert), `generated` (the test PKI) or `none`
   * (no handshake), and whether the user's certificate covers the MX hostname and the
   * recipient domain (null without one). Null in runs from before it was recorded.
   */
  served: ServedCertificate | null;
}

export interface RunSender {
  label: string;
  spec: string;
  kind: SenderKind;
  /** Deviations from a stock configuration and other facts about how the sender ran. */
  notes: string[];
  /** The software under test and its version, when badmx ran it (postfix:..., exim:...). */
  software: SenderSoftware | null;
  /** When this sender's probes were sent and awaited (senders run one after another). */
  window: { start: string; end: string } | null;
  /** Whether it can be expected to trust the badmx test root (certificate-caveat.ts): false for a vendor in public mode. */
  trustsHarnessRoot: boolean;
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
  /**
   * Every Received field of the delivered message, parsed, oldest hop first: earlier
   * hops (a relay, the sender's submission) then the receiver's own stamp, last. Null
   * when nothing was delivered (or the stored message cannot be read).
   */
  hops: ReceivedHop[] | null;
  /**
   * One line when the receiver's own hop (the newest, by its MX hostname) disagrees with
   * its session record (`tls`): TLS claimed for a plaintext session or the reverse, another
   * version, or a newest hop that is not the receiver's. Null when they agree or there is
   * nothing to compare.
   */
  evidenceMismatch: string | null;
  /**
   * One line when the verdict depends on a certificate the sender could not be expected
   * to trust (a vendor refusing a control served with the generated test root: correct
   * behaviour, not a policy failure); null otherwise, and always in local mode.
   */
  caveat: string | null;
  evidence: ConnectionSummary[];
  /**
   * Connections that named this probe but reached another profile's receiver (a late retry
   * on a shared address after the probe's step): counted here, not classified.
   */
  misdirected: number;
}

export interface RunDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'badmx'; version: string };
  run: {
    id: string;
    /**
     * `running` only in `badmx status` of a run still going; `interrupted` when Ctrl-C cut a
     * step short (`badmx run --resume` continues it).
     */
    status: 'complete' | 'error' | 'running' | 'interrupted';
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
  /** How the run was scheduled: every profile live at once, or one at a time on a shared address. */
  schedule: RunSchedule;
}

export interface RunSchedule {
  mode: 'parallel' | 'sequential';
  /** The shared address:port of a sequential schedule. */
  address: string | null;
  /** Each step as it ran: a sender and the profiles live, with when it started and ended. */
  steps: { sender: string; profiles: string[]; start: string; end: string; settled: boolean }[];
  /** When the run was continued with --resume after an interruption. */
  resumes: string[];
}
