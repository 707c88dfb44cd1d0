import { BadmxError } from '../errors.js';
import type { Probe } from '../probes/probe.js';

/** Where a probe must end up: the profile's MX, for senders that deliver directly. */
export interface ProbeTarget {
  profile: string;
  hostname: string;
  domain: string;
  address: string;
  port: number;
  caFile: string;
}

/**
 * What the sender told us about one probe. `final` says that no further attempt will
 * come (a built-in sender, or a relay that refused the message); a relay that accepted
 * the message delivers later, so its result is not final.
 */
export interface SendResult {
  accepted: boolean;
  final: boolean;
  detail: string;
  /**
   * Why it was not accepted, when the sender can tell: `unreachable` (no connection, no
   * greeting, reset: nothing was said), `temporary` (a 4xx reply, RFC 5321 §4.2.1: try again
   * later), `permanent` (a 5xx reply, or a command's failure). The run retries the first two
   * within the deadline (run/submit-probes.ts); `code` is the SMTP reply code when there was one.
   */
  failure?: { kind: 'unreachable' | 'temporary' | 'permanent'; code: number | null } | null;
  /** How many times the run handed the probe over (set by the run, not by the sender). */
  attempts?: number;
}

/** What the harness provides to a sender it manages (a Postfix or Exim it starts itself). */
export interface SenderEnvironment {
  zone: string;
  /** The bundle a sender must trust: the harness's test root. */
  caFile: string;
  /** The harness DNS server the sender must resolve the receivers' MX through. */
  dns: { address: string; port: number };
  /**
   * The harness zone's DNSSEC trust anchor (its DS, as dsPresentation() writes it), for a
   * sender that validates (DANE) through a resolver of its own (senders/mta/sender-resolver.ts).
   */
  trustAnchor?: string | null;
  /** A private, empty directory for the sender's configuration, queue and log (removed after the run). */
  workDir: string;
  /** Where the sender leaves its own log when it closes: evidence kept in the run directory. */
  logFile: string;
}

/**
 * A sender's retries as the user states them (`smtp:…?retries=5m,10m&attempt=1m`): after its
 * first attempt at a receiver it tries again after each of `delaysMs` in turn, then gives up;
 * each attempt shows up at the receiver within `attemptMs` of when it is due. `delaysMs: []`
 * is a sender that tries once. What lets a cell settle before --wait: once the last attempt
 * is due and over, nothing more will come (RFC 5321 §4.5.4.1 leaves the schedule to the sender).
 */
export interface RetryModel {
  delaysMs: number[];
  attemptMs: number;
}

/** Name and version of the software under test, for the report. */
export interface SenderSoftware {
  name: string;
  version: string;
}

/**
 * A sender under test. Senders are normalized from a spec string in one place
 * (sender-spec/parse-sender-spec.ts) and each kind lives in its own file.
 */
export interface Sender {
  /** The spec as shown in reports: secrets are never part of it. */
  readonly spec: string;
  /** Column label in the matrix. */
  readonly label: string;
  readonly kind: SenderKind;
  /** True for senders that find receivers by MX: the run starts the harness DNS server for them. */
  readonly needsDns?: boolean;
  /** Called once before check() for senders the harness runs itself. */
  prepare?(env: SenderEnvironment): Promise<void>;
  /**
   * For senders that can see their own queue (a managed MTA): which probes are final
   * now (delivered, or given up by the sender itself), keyed by probe id. Polled while
   * the run waits, so a run ends when the MTA gives up rather than at the deadline.
   */
  poll?(probes: Probe[]): Promise<Map<string, SendResult>>;
  /** What runs, once known (after check()). */
  readonly software?: SenderSoftware | null;
  /** Check that the sender can be used at all (reachable, credentials accepted) before any probe is sent. */
  check(): Promise<void>;
  send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult>;
  close(): Promise<void>;
  /** Deviations from a stock configuration and other facts a report should state. */
  readonly notes: string[];
  /** How it retries, when the user stated it: its cells settle when the model says no attempt is left. */
  readonly retries?: RetryModel | null;
  /**
   * Where its own validating resolver asks the harness DNS from (after prepare()), or null: the
   * run logs it, so that the DNS queries from that address (its TLSA lookups) are known as its own.
   */
  readonly resolverAddress?: string | null;
}

export type SenderKind = 'smtp' | 'command' | 'builtin' | 'mta';

/** A sender that cannot be used: one line saying what to fix. */
export class SenderError extends BadmxError {
  /**
   * `setup`: the user's configuration is wrong (credentials refused, TLS to the relay, a bad
   * spec): a usage error. `unreachable`: the sender could not be reached when the run needed
   * it: a run that could not complete.
   */
  readonly kind: 'setup' | 'unreachable';
  constructor(message: string, options?: ErrorOptions & { kind?: 'setup' | 'unreachable' }) {
    const kind = options?.kind ?? 'setup';
    super(message, kind === 'unreachable' ? 'EFAILED' : 'ESENDER', options);
    this.name = 'SenderError';
    this.kind = kind;
  }
}
