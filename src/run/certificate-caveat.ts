import type { Outcome } from '../classify/outcome.js';
import type { CertificateRole, CertificateSource } from '../certs/served-certificate.js';
import type { SenderKind } from '../senders/sender.js';

/**
 * When a verdict rests on a certificate the sender could not be expected to trust.
 *
 * The rule, explicitly: a sender trusts the harness's test root when badmx configures it
 * to (`builtin:` senders verify against the CA bundle; `postfix:`/`exim:` instances are
 * given it), and, in local mode (a zone under a special-use TLD such as badmx.test), every
 * sender does, because the operator points their relay or command at the bundle. In public
 * mode an `smtp:` relay or a `command:` is a vendor's service on the internet, which
 * trusts only public roots.
 */
export function trustsHarnessRoot(kind: SenderKind, publicZone: boolean): boolean {
  return kind === 'builtin' || kind === 'mta' || !publicZone;
}

/** Refusals that are about the certificate: the sender got as far as TLS and would not go on. */
const CERTIFICATE_REFUSALS: ReadonlySet<Outcome> = new Set(['refused-at-handshake', 'refused-after-handshake']);

/**
 * One line for a cell whose verdict depends on the sender trusting the badmx test root
 * when it cannot be expected to; null otherwise. Only refusals: a delivery is unambiguous
 * (the sender went on over a chain it could not have verified), and a downgrade to
 * plaintext fails whatever the reason TLS was abandoned.
 */
export function certificateCaveat(input: {
  role: CertificateRole;
  /** Null: a run.json from before the served certificate was recorded. */
  source: CertificateSource | null;
  trustsHarnessRoot: boolean;
  outcome: Outcome;
  /** The profile's issuer: a self-signed or untrusted-root profile is about trust itself, so the refusal is the point. */
  issuer: 'intermediate' | 'self' | 'untrusted-root' | 'expired-intermediate';
  title: string;
}): string | null {
  if (input.trustsHarnessRoot || input.source !== 'generated' || !CERTIFICATE_REFUSALS.has(input.outcome)) return null;
  const why = 'the certificate chains to the badmx test root, which this sender cannot be expected to trust';
  switch (input.role) {
    case 'valid':
      return `${why}: refusing it is correct behaviour, not a failure of the policy (serve a publicly trusted --cert here)`;
    case 'wrong-name':
      return `${why}: the refusal does not show that the sender checks the name`;
    case 'fault':
      return input.issuer === 'intermediate' ? `${why}: the refusal does not show that the sender detects this fault (${input.title}) itself` : null;
    case 'none':
      return null;
  }
}

/**
 * One line for a DANE profile's cell in public mode: its verdict assumes what the zone is
 * meant to be to a validating resolver on the internet (its DS published at the parent, the
 * TLSA records current for the certificate served), which badmx does not check from there. In
 * local mode the harness's own resolvers make it so. Null elsewhere.
 */
export function daneCaveat(input: { publicZone: boolean; declaresDane: boolean }): string | null {
  if (!input.publicZone || !input.declaresDane) return null;
  return "the DANE verdict assumes the zone's DS record is published at the parent and its TLSA records name the certificate served; badmx does not check either from the internet (docs/dane.md#public-mode)";
}
