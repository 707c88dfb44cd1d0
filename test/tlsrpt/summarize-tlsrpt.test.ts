import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTlsReport } from '../../src/tlsrpt/build-tlsrpt.js';
import { summarizeTlsReports } from '../../src/tlsrpt/summarize-tlsrpt.js';
import { validateTlsReport } from '../../src/tlsrpt/tlsrpt-schema.js';

/** RFC 8460 Appendix B's example report, transcribed (see test/fixtures/tlsrpt/README.md). */
const APPENDIX_B = validateTlsReport(JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/tlsrpt/rfc8460-appendix-b.json'), 'utf8')));

describe('summarizeTlsReports', () => {
  it('flattens RFC 8460 Appendix B to one row, failures most sessions first', () => {
    expect(summarizeTlsReports([APPENDIX_B])).toEqual([
      {
        organization: 'Company-X',
        reportId: '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
        start: '2016-04-01T00:00:00Z',
        end: '2016-04-01T23:59:59Z',
        policyDomain: 'company-y.example',
        policyType: 'sts',
        successful: 5326,
        failed: 303,
        failures: [
          { resultType: 'starttls-not-supported', known: true, count: 200, receivingMxHostname: 'mx2.mail.company-y.example' },
          { resultType: 'certificate-expired', known: true, count: 100, receivingMxHostname: 'mx1.mail.company-y.example' },
          { resultType: 'validation-failure', known: true, count: 3, receivingMxHostname: 'mx-backup.mail.company-y.example' },
        ],
      },
    ]);
  });

  it('sums details that share a result type and MX (one per sending IP), keeps unknown types, one row per policy', () => {
    const report = buildTlsReport({
      organizationName: 'Example',
      contactInfo: 'x@example.org',
      reportId: 'r',
      start: '2024-05-01T00:00:00Z',
      end: '2024-05-01T23:59:59Z',
      policies: [
        {
          policyType: 'no-policy-found',
          policyDomain: 'a.example',
          successful: 1,
          failed: 9,
          failures: [
            { resultType: 'certificate-expired', count: 2, sendingMtaIp: '192.0.2.1', receivingMxHostname: 'mx.a.example' },
            { resultType: 'tls-version-too-old', count: 3 },
            { resultType: 'certificate-expired', count: 2, sendingMtaIp: '192.0.2.2', receivingMxHostname: 'mx.a.example' },
            { resultType: 'certificate-expired', count: 1, receivingMxHostname: 'mx2.a.example' },
          ],
        },
        { policyType: 'sts', policyDomain: 'b.example', successful: 7 },
      ],
    });
    const rows = summarizeTlsReports([report, report]);
    expect(rows.map((r) => [r.policyDomain, r.successful, r.failed])).toEqual([
      ['a.example', 1, 9],
      ['b.example', 7, 0],
      ['a.example', 1, 9],
      ['b.example', 7, 0],
    ]);
    expect(rows[0]?.failures).toEqual([
      { resultType: 'certificate-expired', known: true, count: 4, receivingMxHostname: 'mx.a.example' },
      { resultType: 'tls-version-too-old', known: false, count: 3 },
      { resultType: 'certificate-expired', known: true, count: 1, receivingMxHostname: 'mx2.a.example' },
    ]);
    expect(rows[1]?.failures).toEqual([]);
  });
});
