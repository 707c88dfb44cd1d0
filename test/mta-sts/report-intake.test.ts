import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';

/**
 * A report in RFC 8460's own example format (Appendix B) arrives during a run, mailed (§5.3) and
 * POSTed (§5.4) by independent clients (Python's email, smtplib and ssl: see
 * fixtures/inject-rfc8460-report.py), and the run reads, validates and attaches both.
 */

const ROOT = join(import.meta.dirname, '../..');
const BASE = '127.0.203';
let run: RunDocument;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (ports 25 and 443 on 127.0.203.x)');
  const profiles = selectProfiles(loadCatalogue(), ['sts-enforce-valid']);
  const script = join(import.meta.dirname, 'fixtures/inject-rfc8460-report.py');
  const report = join(ROOT, 'test/fixtures/tlsrpt/rfc8460-appendix-b.json');
  const certsDir = inject('certsDir');
  const args = [report, join(certsDir, 'ca-bundle.pem'), 'mta-sts.sts-enforce-valid.badmx.test', `${BASE}.15`, `${BASE}.254`, 'tlsrpt@probes.badmx.test'];
  run = await runMatrix({
    senders: [parseSenderSpec(`command:python3 ${script} ${args.join(' ')}`)],
    policy: loadPolicy('mta-sts'),
    profiles,
    zone: 'badmx.test',
    certsDir,
    addressing: { kind: 'per-profile', base: `${BASE}.0`, port: 25 },
    outDir: mkdtempSync(join(tmpdir(), 'badmx-report-intake-')),
    waitMs: 10_000,
  });
}, 60_000);

describe('a report in RFC 8460 example format, by mail and by HTTPS', () => {
  it('is read, validated and attached to the run, once per way it came', () => {
    const reports = run.tlsReports ?? [];
    expect(reports.map((r) => r.via).sort()).toEqual(['https', 'mail']);
    for (const report of reports) {
      expect(report.error).toBeNull();
      expect(report.sender).toBeNull(); // no sender under test wrote it
      expect(report.policies).toHaveLength(1);
      // Appendix B: Company-X reports on company-y.example, 5326 successful, 303 failed
      expect(report.policies[0]).toMatchObject({ organization: 'Company-X', policyDomain: 'company-y.example', policyType: 'sts', successful: 5326, failed: 303, profile: null });
      expect(report.policies[0]?.failures.map((f) => f.resultType).sort()).toEqual(['certificate-expired', 'starttls-not-supported', 'validation-failure']);
    }
    expect(reports.find((r) => r.via === 'mail')?.submitter).toBe('mail.sender.example.com');
  });
});
