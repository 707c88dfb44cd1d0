import type { ConnectionSummary, Outcome } from '../classify/outcome.js';
import type { PolicyFetch } from '../classify/policy-fetches.js';
import type { TlsaQuery } from '../classify/tlsa-queries.js';
import type { AttackReading } from '../classify/attack.js';
import type { SenderTlsClient } from '../classify/client-hellos.js';
import type { TlsReportRow } from '../tlsrpt/summarize-tlsrpt.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Verdict } from '../policy/evaluate.js';
import type { Policy, PolicyRule } from '../policy/policy-schema.js';
import type { ServedCertificate } from '../certs/served-certificate.js';
import type { FleetMember } from '../receivers/fleet.js';
import type { DaneSpec, MtaStsSpec, Profile, Suite } from '../profiles/profile-schema.js';
import type { TlsaPublication } from '../certs/tlsa.js';
import type { StsPublication } from '../profiles/mta-sts-policy.js';
import type { RevocationPublication } from '../profiles/revocation.js';
import type { TlsVersion } from '../recorder/events.js';
import type { RetryModel, SenderKind, SenderSoftware } from '../senders/sender.js';

export type { RetryModel } from '../senders/sender.js';

/**
 * run.json: the single source every report is rendered from. Bump SCHEMA_VERSION on
 * any change that is not a pure addition, and say so in docs/run-json.md.
 */
export const SCHEMA_VERSION = 2;

/**
 * The versions this badmx reads back. 2 added the `inconclusive` verdict (a value an older
 * reader would reject, hence the bump); a version 1 document is version 2 without it.
 */
export const READABLE_SCHEMA_VERSIONS = [1, 2] as const;

/** A profile as it ran: where it listened (the fleet member), what it was, and what the policy expected of it. */
export interface RunProfile extends Omit<FleetMember, 'served' | 'sts' | 'tlsa' | 'revocation'> {
  slot: number;
  starttls: Profile['starttls'];
  tls: Profile['tls'];
  /** As the profile says; keyBits and eku absent in runs from before the weak-crypto suite (2048, server-auth). */
  certificate: Omit<Profile['certificate'], 'keyBits' | 'eku'> & Partial<Pick<Profile['certificate'], 'keyBits' | 'eku'>>;
  /** The suite it belongs to (absent in runs from before suites: the study's). */
  suite?: Suite;
  /** What it declares by MTA-STS (RFC 8461), or null (absent in runs from before suites). */
  mtaSts?: MtaStsSpec | null;
  /** What it published and served: the TXT records' policy id, the policy host and the policy text. */
  sts?: StsPublication | null;
  /** What a man in the middle does to its STARTTLS transition (the tampering suite), or null. */
  tampering?: Profile['tampering'] | null;
  /** What it declares by DANE (RFC 7672), or null (absent in runs from before the DANE suite). */
  dane?: DaneSpec | null;
  /** The TLSA records it published, computed from the certificates it served, and how they validate. */
  tlsa?: TlsaPublication | null;
  /** Where its revoked leaf's CRL was published (certificate.revoked); absent for every other profile, and in runs from before it. */
  revocation?: RevocationPublication;
  /** What the policy expected here, and why. */
  expected: { expect: PolicyRule['expect']; minVersion: string | null; because: string };
  /** What a sender that fails here exposes, one line (the catalogue's `risk`); absent in runs from before it, and for a profile without one. */
  risk?: string;
  /** The rules the misconfiguration touches (the catalogue's `rules`); absent in runs from before it, and for a profile without them. */
  rules?: string[];
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
  /** When this sender's probes were sent and awaited (senders side by side share their windows). */
  window: { start: string; end: string } | null;
  /** Whether it can be expected to trust the badmx test root (certificate-caveat.ts): false for a vendor in public mode. */
  trustsHarnessRoot: boolean;
  /** How the sender retries, as the user stated it (`smtp:…?retries=`): what lets its cells settle before --wait. Null: not stated. */
  retries: RetryModel | null;
  /**
   * The controls are canaries: null when the sender delivered to at least one control
   * profile; otherwise one line saying why its refusals prove nothing (never connected, no
   * DNS query seen, refused the test root, ...), and every refusal cell of it is inconclusive.
   */
  diagnosis: string | null;
  /** What it offers in its TLS handshakes: its distinct ClientHellos, raw and parsed, with JA3/JA4, and findings. Absent where none was recorded. */
  tlsClient?: SenderTlsClient;
}

/** What ended a cell's wait, and how long it was: what a reader needs to trust an unsettled cell, or not. */
export interface CellSettle {
  /**
   * What settled it: the probe's delivery; a notification that the sender gave up (bounce) or
   * deferred (delay notice: its retries meet the same receiver); the sender's own final word
   * (a managed MTA's log, a sender that returned its verdict); the stated retry model running
   * out. Null: nothing did, before the wait ended.
   */
  by: 'delivery' | 'bounce' | 'delay-notice' | 'final-word' | 'retry-model' | null;
  /** From the probe's submission to when it settled, or to the end of its wait; null when it was never submitted. */
  waitedMs: number | null;
  /** One line: why the wait was enough, or why it was not. */
  note: string;
}

export interface Cell {
  sender: string;
  profile: string;
  probe: { id: string; recipient: string; messageId: string };
  outcome: Outcome;
  /**
   * `pass`/`fail` against the policy, or `inconclusive` when the probe was not actually
   * tested (see `inconclusive`): never a pass or a fail without evidence.
   */
  verdict: Verdict;
  reason: string;
  /** Why the cell is not evidence of the sender's behaviour (verdict `inconclusive`), else null. */
  inconclusive: Inconclusive | null;
  tls: { version: TlsVersion | 'unknown'; cipher: string } | null;
  alert: string | null;
  connections: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** False when the deadline came first: the sender might still have acted later. */
  settled: boolean;
  /** What settled it, or why it stayed unsettled, and how long was waited. */
  settle: CellSettle;
  /** What the sender said when the probe was handed to it (the last attempt), and how many attempts it took. */
  submission: { accepted: boolean; final: boolean; detail: string; attempts: number } | null;
  /**
   * Delivery status notifications the sender sent back for this probe (RFC 3464 or a common
   * non-standard bounce), received at the probes' own domain: its own words for what it did.
   */
  bounces: BounceEvidence[];
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
  /**
   * What the profile's MTA-STS policy host saw of this sender (RFC 8461 §3.3): fetches, broken-off
   * handshakes, TLS-RPT reports. Present only for profiles that declare a policy.
   */
  policyFetches?: PolicyFetch[];
  /**
   * The TLSA lookups the harness DNS answered for this profile's MX host (RFC 7672 §2.2.3), this
   * sender's own or no sender's in particular. Present only for profiles that publish TLSA records.
   */
  tlsaQueries?: TlsaQuery[];
  /** The tampering suite: vulnerable, downgraded or held, the EAST case, and the signal on record. Present only on its judged cells. */
  attack?: AttackReading;
  /**
   * A multi-phase profile (sts-cached-downgrade): the cell is its last phase's probe, and these
   * are the earlier phases' probes, each as the receivers saw it. Absent for other profiles.
   */
  phases?: CellPhase[];
}

/** An earlier phase of a multi-phase profile's cell: its own probe, and what became of it. */
export interface CellPhase {
  phase: number;
  /** What the receiver and policy host were in this phase (the profile's own title for phase 1). */
  title: string;
  probe: { id: string; recipient: string; messageId: string };
  outcome: Outcome;
  tls: { version: TlsVersion | 'unknown'; cipher: string } | null;
  connections: number;
  policyFetches?: PolicyFetch[];
}

/** Why a cell says nothing about the sender's TLS behaviour. */
export interface Inconclusive {
  /**
   * `not-submitted`: the probe never reached the sender (the run stopped, or it was skipped);
   * `submission-failed`: the sender could not be reached or dropped the submission, after retries;
   * `submission-refused`: the sender refused the probe for a reason that is not a TLS policy;
   * `no-control`: the sender delivered to no control profile, so its path (DNS, routing, trust of the test root) was never shown to work;
   * `no-attempt`: the sender accepted the probe but neither contacted the receiver nor said why before the deadline;
   * `bounced-untested`: the sender gave up without contacting the receiver, for a reason that is not TLS (its bounce says which);
   * `earlier-phase`: a multi-phase profile whose earlier phase the sender did not deliver over TLS, so the later phase tests nothing;
   * `policy-unavailable`: an enforced MTA-STS policy the sender tried to fetch and never got, so it had none to honour (RFC 8461 §3.3).
   */
  cause: 'not-submitted' | 'submission-failed' | 'submission-refused' | 'no-control' | 'no-attempt' | 'bounced-untested' | 'earlier-phase' | 'policy-unavailable';
  /** One line: what was (not) seen, in the sender's words where it gave any. */
  detail: string;
}

/** One delivery status notification for a probe, as received and parsed. */
export interface BounceEvidence {
  /** When the receiver at the probes' domain accepted it. */
  at: string;
  /** RFC 3464 §2.3.3 Action: failed (a bounce), delayed, delivered, relayed, expanded. */
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  /** RFC 3464 §2.3.4 Status (RFC 3463 enhanced code), or null when the notice gave none. */
  status: string | null;
  /** The sender's diagnostic text (RFC 3464 §2.3.6 Diagnostic-Code, or the prose of a non-standard bounce), one line. */
  diagnostic: string | null;
  /** The MTA it was trying to reach (Remote-MTA), when named. */
  remoteMta: string | null;
  /** `rfc3464` or the non-standard format recognised (e.g. `qmail`). */
  format: string;
  /** The stored notification, relative to run.json. */
  message: string | null;
}

export interface RunDocument {
  schemaVersion: (typeof READABLE_SCHEMA_VERSIONS)[number];
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
    /**
     * One line for each capacity limit the receivers hit during the run (the event log's cap:
     * only evidence written after; the message store's: later messages not kept). Empty normally.
     */
    limitsHit: string[];
  };
  policy: Policy;
  profiles: RunProfile[];
  senders: RunSender[];
  cells: Cell[];
  summary: { cells: number; pass: number; fail: number; inconclusive: number; unsettled: number };
  /** Connections that belonged to no probe. */
  stray: { connections: number };
  /** How the run was scheduled: every profile live at once, or one at a time on a shared address. */
  schedule: RunSchedule;
  /** TLS reports (RFC 8460) that arrived during the run (absent in runs from before they were collected). */
  tlsReports?: RunTlsReport[];
}

/**
 * A TLS report that arrived, by mail to the probes' domain (RFC 8460 §5.3) or by HTTPS POST to a
 * policy host (§5.4): what it says, one row per policy, with the profile whose domain it is about.
 */
export interface RunTlsReport {
  received: string;
  via: 'mail' | 'https';
  /** The stored mail or POST body, relative to run.json. */
  file: string;
  /** The mail's envelope sender, or the POSTing client's address. */
  from: string | null;
  /** The sender under test that sent it, when it names itself (badmx's built-in senders do); else null. */
  sender: string | null;
  /** The mail's TLS-Report-Submitter, or null. */
  submitter: string | null;
  policies: (TlsReportRow & { profile: string | null })[];
  /** Why it is not a valid report, or null. */
  error: string | null;
}

export interface RunSchedule {
  mode: 'parallel' | 'sequential';
  /** The shared address:port of a sequential schedule. */
  address: string | null;
  /** Each step as it ran: a sender and the profiles live, with when it started and ended. */
  /** `dnsQueries`: in-zone questions the harness DNS answered during the step (null when the run served no DNS). */
  steps: { sender: string; profiles: string[]; start: string; end: string; settled: boolean; dnsQueries: number | null; phase?: number }[];
  /** When the run was continued with --resume after an interruption. */
  resumes: string[];
}
