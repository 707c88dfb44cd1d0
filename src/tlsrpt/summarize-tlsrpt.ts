import { isKnownResultType, type PolicyType, type ResultType, type TlsReport } from './tlsrpt-schema.js';

/** One failure kind of one policy, summed over the report's failure-details that share its result type and MX. */
export interface TlsFailureRow {
  resultType: ResultType;
  /** Whether the result type is one of RFC 8460 §4.3's (an unknown one is kept, and shown as such). */
  known: boolean;
  /** failed-session-count, summed. */
  count: number;
  receivingMxHostname?: string;
}

/** One policy of one report: who reported what about which domain. */
export interface TlsReportRow {
  organization: string;
  reportId: string;
  /** The reported period, as the report states it (RFC 3339). */
  start: string;
  end: string;
  policyDomain: string;
  policyType: PolicyType;
  /** total-successful-session-count. */
  successful: number;
  /** total-failure-session-count, as reported (the failure-details may list fewer: §4.4 leaves them optional). */
  failed: number;
  /** Most sessions first; equal counts in the report's order. */
  failures: TlsFailureRow[];
}

/**
 * Reports flattened to one row per policy, for the CLI's table, a run document or any other
 * report: the same shape whatever the reporter. Failure details with the same result type
 * and receiving MX are summed into one row (a reporter may list one per sending IP).
 */
export function summarizeTlsReports(reports: readonly TlsReport[]): TlsReportRow[] {
  return reports.flatMap((report) =>
    report.policies.map((p) => ({
      organization: report['organization-name'],
      reportId: report['report-id'],
      start: report['date-range']['start-datetime'],
      end: report['date-range']['end-datetime'],
      policyDomain: p.policy['policy-domain'],
      policyType: p.policy['policy-type'],
      successful: p.summary['total-successful-session-count'],
      failed: p.summary['total-failure-session-count'],
      failures: failureRows(p['failure-details'] ?? []),
    })),
  );
}

function failureRows(details: NonNullable<TlsReport['policies'][number]['failure-details']>): TlsFailureRow[] {
  const rows = new Map<string, TlsFailureRow>();
  for (const detail of details) {
    const resultType = detail['result-type'];
    const mx = detail['receiving-mx-hostname'];
    const key = JSON.stringify([resultType, mx ?? null]);
    const row = rows.get(key);
    if (row) {
      // Capped: a hostile report's counts may each be safe integers and still not add up to one.
      row.count = Math.min(Number.MAX_SAFE_INTEGER, row.count + detail['failed-session-count']);
      continue;
    }
    rows.set(key, {
      resultType,
      known: isKnownResultType(resultType),
      count: detail['failed-session-count'],
      ...(mx === undefined ? {} : { receivingMxHostname: mx }),
    });
  }
  // Array.prototype.sort is stable: equal counts keep the report's order.
  return [...rows.values()].sort((a, b) => b.count - a.count);
}
