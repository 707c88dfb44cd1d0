import { describe, expect, it } from 'vitest';
import { failureText, orderedTlsReports, senderReporting, showsTlsReports, unnamedReporting } from '../../src/report/tls-reports.js';
import { DEMO_RUN, HOSTILE_TLSRPT, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN, withHostileTlsReports } from '../helpers/report-fixtures.js';

const sts = loadFixture(MTA_STS_RUN);
const mixed = loadFixture(MIXED_SUITES_RUN);
const demo = loadFixture(DEMO_RUN);

describe('TLS reports (RFC 8460), as the reports list them', () => {
  it('are shown when any arrived, or when the run\'s profiles asked for them; not for a run of the study\'s alone', () => {
    expect(showsTlsReports(sts)).toBe(true);
    expect(showsTlsReports(mixed)).toBe(true);
    expect(showsTlsReports(demo)).toBe(false);
    // none arrived, yet the profiles asked: each sender is noted for sending none
    expect(showsTlsReports({ ...sts, tlsReports: [] })).toBe(true);
    expect(senderReporting({ ...sts, tlsReports: [] }).map((s) => s.text)).toEqual(['sent no TLS report', 'sent no TLS report']);
    // the study's profiles ask for none, and a run from before reports were collected has none to show
    expect(showsTlsReports({ ...demo, tlsReports: [] })).toBe(false);
    expect(showsTlsReports({ ...sts, tlsReports: undefined })).toBe(false);
  });

  it('a sender that reports is credited with how many, how, and about how many of the domains that ask; one that never does is noted (the real run)', () => {
    expect(senderReporting(sts)).toEqual([
      { sender: 'builtin:mta-sts', reports: 16, text: 'sent 16 TLS reports (7 by HTTPS POST, 9 by mail) about 9 of the 9 domains that ask for them' },
      { sender: 'builtin:opportunistic', reports: 0, text: 'sent no TLS report' },
    ]);
    expect(senderReporting(mixed)[0]?.text).toBe('sent 5 TLS reports (2 by HTTPS POST, 3 by mail) about 3 of the 3 domains that ask for them');
    expect(unnamedReporting(sts)).toBeNull();
  });

  it('orders reports by the run\'s senders, each by arrival, those of no sender of the run last; counts invalid ones', () => {
    const run = withHostileTlsReports(sts);
    const ordered = orderedTlsReports(run);
    expect(ordered.map((r) => r.sender)).toEqual([...new Array<string>(16).fill('builtin:mta-sts'), 'builtin:opportunistic', null]);
    expect(ordered.slice(0, 16).map((r) => r.received)).toEqual([...ordered.slice(0, 16).map((r) => r.received)].sort());
    expect(senderReporting(run)[1]?.text).toBe('sent 1 TLS report (1 by HTTPS POST) about 0 of the 9 domains that ask for them, 1 not valid');
    expect(unnamedReporting(run)).toBe(`1 TLS report named no sender of this run (from ${HOSTILE_TLSRPT.from})`);
  });

  it('a failure kind: its result type, count and MX; one RFC 8460 does not define is marked', () => {
    expect(failureText({ resultType: 'certificate-expired', known: true, count: 1, receivingMxHostname: 'mx.sts-enforce-expired.badmx.test' })).toBe(
      'certificate-expired ×1 at mx.sts-enforce-expired.badmx.test',
    );
    expect(failureText({ resultType: 'sts-webpki-invalid', known: true, count: 2 })).toBe('sts-webpki-invalid ×2');
    expect(failureText({ resultType: 'made-up', known: false, count: 3 })).toBe('made-up (not an RFC 8460 result type) ×3');
  });
});
