import type { RunDocument, RunTlsReport } from '../document/run-document.js';

/**
 * The TLS reports (RFC 8460) of a run, as the HTML and Markdown reports list them: one row per
 * policy of each report, senders in the run's order, and for each sender of the run whether
 * it reported at all. Sending reports is a plus (a domain learns of its broken TLS); a sender
 * that never does is noted.
 */

type TlsPolicy = RunTlsReport['policies'][number];
type TlsFailure = TlsPolicy['failures'][number];

/**
 * Whether a report lists TLS reports: when any arrived, or when the run collected them and some
 * profile asked for them (published a TLS-RPT record with its MTA-STS policy), so that senders
 * that sent none are noted. A run from before they were collected, or of the study's profiles
 * alone, has no such section.
 */
export function showsTlsReports(run: Pick<RunDocument, 'tlsReports' | 'profiles'>): boolean {
  const reports = run.tlsReports;
  if (reports === undefined) return false;
  return reports.length > 0 || run.profiles.some((p) => (p.sts ?? null) !== null);
}

/** The reports, the run's senders' first (in sender order, each by arrival), then those that named no sender of the run. */
export function orderedTlsReports(run: Pick<RunDocument, 'tlsReports' | 'senders'>): RunTlsReport[] {
  const order = new Map(run.senders.map((s, i) => [s.label, i]));
  const rank = (r: RunTlsReport): number => (r.sender !== null ? (order.get(r.sender) ?? run.senders.length) : run.senders.length);
  // Array.prototype.sort is stable: reports of one sender keep the order they arrived in.
  return [...(run.tlsReports ?? [])].sort((a, b) => rank(a) - rank(b));
}

/** Who sent a report: the sender under test it names, else where it came from. */
export function reportSenderText(report: Pick<RunTlsReport, 'sender' | 'from'>): string {
  if (report.sender !== null) return report.sender;
  return report.from !== null ? `no sender of this run named (from ${report.from})` : 'no sender of this run named';
}

/** How it came: "HTTPS POST" or "mail". */
export function viaText(via: RunTlsReport['via']): string {
  return via === 'https' ? 'HTTPS POST' : 'mail';
}

/** The profile a policy row is about: its name, or the policy domain when it is none of the run's. */
export function policyProfileText(policy: Pick<TlsPolicy, 'profile' | 'policyDomain' | 'policyType'>): string {
  return policy.profile !== null ? policy.profile : `${policy.policyDomain} (not a profile of this run)`;
}

/** One failure kind, raw text: "certificate-expired ×1 at mx.example", marked when RFC 8460 §4.3 does not define it. */
export function failureText(failure: TlsFailure): string {
  const unknown = failure.known ? '' : ' (not an RFC 8460 result type)';
  const mx = failure.receivingMxHostname !== undefined ? ` at ${failure.receivingMxHostname}` : '';
  return `${failure.resultType}${unknown} ×${failure.count}${mx}`;
}

/** A policy's failures as one line: "none" when it reported only successes. */
export function failuresText(policy: Pick<TlsPolicy, 'failures' | 'failed'>): string {
  if (policy.failures.length > 0) return policy.failures.map(failureText).join(', ');
  return policy.failed > 0 ? 'no details given' : 'none';
}

/** What one sender of the run did about TLS reports, in words that follow its label. */
export interface SenderReporting {
  sender: string;
  reports: number;
  /** Phrase after the label: "sent 16 TLS reports (7 by HTTPS POST, 9 by mail) about 9 of the 9 domains that ask for them", or "sent no TLS report". */
  text: string;
}

/** For each sender of the run: how many reports it sent, how, and about how many of the domains that ask for them. */
export function senderReporting(run: Pick<RunDocument, 'tlsReports' | 'senders' | 'profiles'>): SenderReporting[] {
  const asking = new Set(run.profiles.filter((p) => (p.sts ?? null) !== null).map((p) => p.name));
  return run.senders.map((s) => {
    const own = (run.tlsReports ?? []).filter((r) => r.sender === s.label);
    if (own.length === 0) return { sender: s.label, reports: 0, text: 'sent no TLS report' };
    const https = own.filter((r) => r.via === 'https').length;
    const ways = [https ? `${https} by HTTPS POST` : null, own.length - https ? `${own.length - https} by mail` : null].filter((w) => w !== null).join(', ');
    const about = new Set(own.flatMap((r) => r.policies.map((p) => p.profile)).filter((p): p is string => p !== null && asking.has(p)));
    const invalid = own.filter((r) => r.error !== null).length;
    const domains = asking.size > 0 ? ` about ${about.size} of the ${asking.size} domain${asking.size === 1 ? '' : 's'} that ask for them` : '';
    return {
      sender: s.label,
      reports: own.length,
      text: `sent ${own.length} TLS report${own.length === 1 ? '' : 's'} (${ways})${domains}${invalid ? `, ${invalid} not valid` : ''}`,
    };
  });
}

/** Reports that name no sender of the run (a report from elsewhere, or a sender that did not name itself): a count and where from, or null. */
export function unnamedReporting(run: Pick<RunDocument, 'tlsReports' | 'senders'>): string | null {
  const labels = new Set(run.senders.map((s) => s.label));
  const unnamed = (run.tlsReports ?? []).filter((r) => r.sender === null || !labels.has(r.sender));
  if (unnamed.length === 0) return null;
  const from = [...new Set(unnamed.map((r) => r.from ?? r.sender).filter((f): f is string => f !== null))];
  return `${unnamed.length} TLS report${unnamed.length === 1 ? '' : 's'} named no sender of this run${from.length ? ` (from ${from.join(', ')})` : ''}`;
}
