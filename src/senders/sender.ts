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
}

/**
 * A sender under test. Senders are normalized from a spec string in one place
 * (parse-sender-spec.ts) and each kind lives in its own file.
 */
export interface Sender {
  /** The spec as shown in reports: secrets are never part of it. */
  readonly spec: string;
  /** Column label in the matrix. */
  readonly label: string;
  readonly kind: 'smtp' | 'command' | 'builtin';
  /** Check that the sender can be used at all (reachable, credentials accepted) before any probe is sent. */
  check(): Promise<void>;
  send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult>;
  close(): Promise<void>;
  /** Deviations from a stock configuration and other facts a report should state. */
  readonly notes: string[];
}

/** A sender that cannot be used: one line saying what to fix. */
export class SenderError extends Error {
  readonly code = 'ESENDER';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SenderError';
  }
}
