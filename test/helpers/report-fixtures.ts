import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { summarizeCells } from '../../src/document/summarize-cells.js';

export const FIXTURES = join(import.meta.dirname, '../report/fixtures');

/** A real `badmx demo` run: 2 built-in senders × 14 profiles, in run.json schemaVersion 2 shape; nothing in it is inconclusive. */
export const DEMO_RUN = join(FIXTURES, 'demo-run.json');

/**
 * The demo run plus a relay sender, edited by hand: hops, an evidence mismatch, unsettled cells,
 * hostile strings, and inconclusive cells: builtin:strict refused the controls' certificate, so it
 * has a diagnosis and all its cells are inconclusive (no-control); the relay bounced one probe
 * (a hostile diagnostic), refused one and could not be reached for one (3 attempts).
 */
export const HOSTILE_RUN = join(FIXTURES, 'hostile-run.json');

/**
 * A real `badmx run --sender builtin:mta-sts --sender builtin:opportunistic --policy mta-sts` of the
 * nine single-phase MTA-STS profiles (no study profile), the senders side by side, with each
 * cell's `policyFetches` and the 16 TLS reports builtin:mta-sts sent (7 by HTTPS POST, 9 by mail);
 * builtin:opportunistic fetched no policy and sent no report.
 */
export const MTA_STS_RUN = join(FIXTURES, 'mta-sts-run.json');

/**
 * A real run of the same two senders over profiles of both suites: the study's `no-starttls`,
 * `tls1.3` and `self-signed`, and `sts-enforce-valid`, `sts-enforce-self-signed` and
 * `sts-policy-bad-certificate`; builtin:mta-sts sent 5 TLS reports.
 */
export const MIXED_SUITES_RUN = join(FIXTURES, 'mixed-suites-run.json');

/** A fresh copy of a fixture, read through the real loader (so the fixtures are valid run.json). */
export function loadFixture(file: string): RunDocument {
  return loadRunDocument(file).document;
}

/** Where tests leave screenshots and rendered images for a person to look at (git-ignored). */
export function artifactDir(): string {
  const dir = join(import.meta.dirname, '../../reports/test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The hostile strings planted in HOSTILE_RUN, as they appear there. */
export const HOSTILE = {
  sender: 'vendor "relay" | <b>x</b>, 1',
  scriptHelo: '<script>window.__badmxPwned=1</script>',
  attributeHelo: '"><img src=x onerror="window.__badmxPwned=2">',
  controlHelo: 'evil\u0001\u001b[31mred',
  multilineReason: 'delivered in plaintext, but must not deliver: "quoted", comma | pipe\nsecond line',
  /** The relay's bounce for its sha1-signature probe: markup, quotes, a pipe and control bytes. */
  bounceDiagnostic: 'smtp; 554 5.4.4 <script>window.__badmxPwned=4</script> Host not found: "mx.sha1-signature" | name=<b>x</b>, type=A \u0001\u001b[31mred',
  /** The sender that delivered to no control profile (its `diagnosis` is set, its cells inconclusive). */
  diagnosedSender: 'builtin:strict',
} as const;

/** What `withWaits` says of the waits: the strict sender's stated retries and its one unsettled cell. */
export const WAITS = {
  sender: 'builtin:strict',
  retries: { delaysMs: [300_000, 600_000], attemptMs: 60_000 },
  /** How the reports put the retries in words. */
  retriesText: 'after 5 min, 10 min, then gives up (each attempt within 1 min)',
  unsettledProfile: 'expired',
  /** Its note: markup, a pipe and a control byte, as a note quoting a sender might carry. */
  unsettledNote: 'the stated retries run to 16 min, longer than the 1 min --wait: a retry after it could still deliver <b>late</b> | \u0007',
  deliveredNote: 'delivered: nothing left to wait for',
  refusedNote: 'the built-in sender returned its final word',
} as const;

/**
 * The demo run as a badmx that records what settled each cell writes it: delivered cells
 * settled by delivery after 1.2 s, refusals by the sender's final word after 180 ms, and
 * builtin:strict with stated retries (5 min, 10 min, each within 1 min) and its `expired` cell
 * unsettled after the whole 1 min wait (`WAITS.unsettledNote`); the summary recounted.
 */
export function withWaits(run: RunDocument): RunDocument {
  const cells = run.cells.map((cell) => {
    if (cell.sender === WAITS.sender && cell.profile === WAITS.unsettledProfile) {
      return { ...cell, settled: false, settle: { by: null, waitedMs: 60_000, note: WAITS.unsettledNote } };
    }
    const delivered = cell.outcome.startsWith('delivered') || cell.outcome === 'plaintext-after-tls-failure';
    return {
      ...cell,
      settle: delivered ? { by: 'delivery' as const, waitedMs: 1200, note: WAITS.deliveredNote } : { by: 'final-word' as const, waitedMs: 180, note: WAITS.refusedNote },
    };
  });
  return {
    ...run,
    senders: run.senders.map((s) => (s.label === WAITS.sender ? { ...s, retries: { delaysMs: [...WAITS.retries.delaysMs], attemptMs: WAITS.retries.attemptMs } } : s)),
    cells,
    summary: summarizeCells(cells),
  };
}

/** The hostile strings `withHostileTlsReports` plants, as they appear there. */
export const HOSTILE_TLSRPT = {
  /** The envelope sender of a report that names no sender of the run. */
  from: '"><img src=x onerror="window.__badmxPwned=5">@evil.example',
  /** Its result type: not one of RFC 8460's, with markup, a pipe and a control byte. */
  resultType: '<script>window.__badmxPwned=6</script> | x\u001b[31m',
  mx: 'mx.<b>evil</b>.example',
  /** Why the other is not a valid report. */
  error: 'not JSON: unexpected "<" at 0 | <i>x</i>',
} as const;

/**
 * A run with two TLS reports added by hand after its own: one that names no sender of the run,
 * from a hostile address, about a domain of no profile, with an unknown result type; and one of
 * builtin:opportunistic that is not a valid report. Everything in them is escaped by the reports.
 */
export function withHostileTlsReports(run: RunDocument): RunDocument {
  const foreign = {
    received: '2026-11-30T15:31:00.000Z',
    via: 'mail' as const,
    file: 'messages/probes/hostile.eml',
    from: HOSTILE_TLSRPT.from,
    sender: null,
    submitter: 'evil.example',
    policies: [
      {
        organization: 'Evil <Org>',
        reportId: 'r-1',
        start: '2026-11-29T00:00:00Z',
        end: '2026-11-30T00:00:00Z',
        policyDomain: 'elsewhere.<i>example</i>',
        policyType: 'sts' as const,
        successful: 3,
        failed: 2,
        failures: [{ resultType: HOSTILE_TLSRPT.resultType, known: false, count: 2, receivingMxHostname: HOSTILE_TLSRPT.mx }],
        profile: null,
      },
    ],
    error: null,
  };
  const invalid = {
    received: '2026-11-30T15:31:01.000Z',
    via: 'https' as const,
    file: 'tlsrpt/9999-hostile.json',
    from: '127.0.0.1',
    sender: 'builtin:opportunistic',
    submitter: null,
    policies: [],
    error: HOSTILE_TLSRPT.error,
  };
  return { ...run, tlsReports: [...(run.tlsReports ?? []), foreign, invalid] };
}
