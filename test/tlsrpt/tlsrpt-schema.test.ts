import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { isRfc3339DateTime, RESULT_TYPES, validateTlsReport, type TlsReport } from '../../src/tlsrpt/tlsrpt-schema.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/tlsrpt');
/** RFC 8460 Appendix B's example report, transcribed (see test/fixtures/tlsrpt/README.md). */
const APPENDIX_B = readFileSync(join(FIXTURES, 'rfc8460-appendix-b.json'), 'utf8');

function example(): Record<string, unknown> {
  return JSON.parse(APPENDIX_B) as Record<string, unknown>;
}

/** Where in a report's JSON: keys and array indexes. */
type Path = readonly (string | number)[];
/** Stands for "take the field out" in an edit. */
const REMOVE = Symbol('remove');

/** The example with `edits` made: each sets (or with REMOVE, deletes) the value at a path. */
function edited(...edits: [Path, unknown][]): Record<string, unknown> {
  const report = example();
  for (const [path, value] of edits) {
    let node = report as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    const last = path[path.length - 1] ?? '';
    if (value === REMOVE) delete node[last];
    else node[last] = value;
  }
  return report;
}

/** The one-line error the example gives with `edits` made. */
function errorFor(...edits: [Path, unknown][]): string {
  try {
    validateTlsReport(edited(...edits), 'report.json');
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as BadmxError).code).toBe('ETLSRPT');
    const message = (error as BadmxError).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  }
  throw new Error('the report was accepted');
}

describe('the TLS report schema (RFC 8460 §4.4)', () => {
  it('accepts the example of RFC 8460 Appendix B, every field kept as it is', () => {
    const report: TlsReport = validateTlsReport(example());
    expect(report).toEqual(example());
    expect(report['organization-name']).toBe('Company-X');
    const policy = report.policies[0];
    expect(policy?.policy).toEqual({
      'policy-type': 'sts',
      'policy-string': ['version: STSv1', 'mode: testing', 'mx: *.mail.company-y.example', 'max_age: 86400'],
      'policy-domain': 'company-y.example',
      'mx-host': ['*.mail.company-y.example'],
    });
    expect(policy?.summary).toEqual({ 'total-successful-session-count': 5326, 'total-failure-session-count': 303 });
    expect(policy?.['failure-details']?.map((f) => [f['result-type'], f['failed-session-count']])).toEqual([
      ['certificate-expired', 100],
      ['starttls-not-supported', 200],
      ['validation-failure', 3],
    ]);
    expect(policy?.['failure-details']?.[2]?.['failure-reason-code']).toBe('X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED');
  });

  it('lists the eleven result types of RFC 8460 §4.3', () => {
    expect(RESULT_TYPES).toEqual([
      'starttls-not-supported',
      'certificate-host-mismatch',
      'certificate-expired',
      'certificate-not-trusted',
      'validation-failure',
      'tlsa-invalid',
      'dnssec-invalid',
      'dane-required',
      'sts-policy-fetch-error',
      'sts-policy-invalid',
      'sts-webpki-invalid',
    ]);
  });

  it('keeps a result type it does not know, and fields it does not know, at every level', () => {
    const report = edited(
      [['x-extension'], { any: 'thing' }],
      [['policies', 0, 'x-per-policy'], 1],
      [['policies', 0, 'policy', 'x-policy-field'], true],
      [['policies', 0, 'summary', 'x-count'], 7],
      [['policies', 0, 'failure-details', 0, 'result-type'], 'tls-version-too-old'],
      [['policies', 0, 'failure-details', 0, 'x-detail'], 'kept'],
    );
    const read = validateTlsReport(report);
    expect(read).toEqual(report);
    expect(read.policies[0]?.['failure-details']?.[0]?.['result-type']).toBe('tls-version-too-old');
    expect(read['x-extension']).toEqual({ any: 'thing' });
  });

  it('reads the minimal report: no policy-string, mx-host nor failure-details, a no-policy-found policy', () => {
    const minimal = {
      'organization-name': 'Example',
      'date-range': { 'start-datetime': '2024-05-01T00:00:00Z', 'end-datetime': '2024-05-01T23:59:59Z' },
      'contact-info': 'mailto:tlsrpt@example.org',
      'report-id': '1',
      policies: [{ policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'example.net' }, summary: { 'total-successful-session-count': 0, 'total-failure-session-count': 0 } }],
    };
    expect(validateTlsReport(minimal)).toEqual(minimal);
  });

  it('names the JSON path and what to fix, on one line', () => {
    expect(errorFor([['policies', 0, 'summary', 'total-failure-session-count'], -1])).toBe(
      'report.json: policies[0].summary.total-failure-session-count: must be a non-negative integer, not -1',
    );
    expect(errorFor([['policies', 0, 'summary', 'total-failure-session-count'], '303'])).toBe(
      'report.json: policies[0].summary.total-failure-session-count: must be a non-negative integer, not "303"',
    );
    expect(errorFor([['policies', 0, 'failure-details', 1, 'failed-session-count'], 2.5])).toBe(
      'report.json: policies[0].failure-details[1].failed-session-count: must be a non-negative integer, not 2.5',
    );
    expect(errorFor([['report-id'], REMOVE])).toBe("report.json: report-id: is missing: give the report's unique identifier");
    expect(errorFor([['policies', 0, 'summary'], REMOVE])).toBe(
      'report.json: policies[0].summary: is missing: give an object with "total-successful-session-count" and "total-failure-session-count"',
    );
    expect(errorFor([['policies', 0, 'failure-details', 2, 'failed-session-count'], REMOVE])).toBe(
      'report.json: policies[0].failure-details[2].failed-session-count: is missing: give a non-negative integer',
    );
    expect(errorFor([['policies', 0, 'policy', 'policy-type'], 'dane'])).toBe(
      'report.json: policies[0].policy.policy-type: must be "tlsa", "sts" or "no-policy-found", not "dane"',
    );
    expect(errorFor([['policies', 0, 'policy', 'mx-host'], '*.mail.company-y.example'])).toBe(
      'report.json: policies[0].policy.mx-host: must be a list of host patterns, not "*.mail.company-y.example"',
    );
    expect(errorFor([['policies', 0, 'policy', 'policy-domain'], ''])).toBe('report.json: policies[0].policy.policy-domain: must be a domain name, not an empty string');
    expect(errorFor([['date-range', 'start-datetime'], '2016-04-01'])).toBe(
      'report.json: date-range.start-datetime: must be an RFC 3339 date-time such as "2016-04-01T00:00:00Z", not "2016-04-01"',
    );
    expect(errorFor([['date-range', 'end-datetime'], '2016-03-31T23:59:59Z'])).toBe(
      'report.json: date-range.end-datetime: must not be before start-datetime (2016-04-01T00:00:00Z)',
    );
    expect(errorFor([['policies'], []])).toBe('report.json: policies: must list at least one policy (an empty report says nothing)');
    expect(errorFor([['policies'], { policy: {} }])).toBe('report.json: policies: must be a list of policies, not {"policy":{}}');
    // Several problems: the first, and how many more.
    expect(
      errorFor([['organization-name'], REMOVE], [['contact-info'], REMOVE]),
    ).toBe("report.json: organization-name: is missing: give the reporting organization's name (and 1 more)");
  });

  it('refuses what is not a report object', () => {
    for (const [raw, shown] of [
      [[], '[]'],
      ['report', '"report"'],
      [null, 'null'],
    ] as const) {
      expect(() => validateTlsReport(raw, 'x')).toThrow(`x: (top level): must be a JSON object (an RFC 8460 TLS report), not ${shown}`);
    }
  });

  it('checks RFC 3339 §5.6 date-times, offsets, lower case and leap seconds included', () => {
    for (const ok of ['2016-04-01T00:00:00Z', '2016-04-01t23:59:59z', '2016-04-01T00:00:00.123+02:00', '2016-12-31T23:59:60Z', '2024-02-29T00:00:00-05:30']) {
      expect(isRfc3339DateTime(ok), ok).toBe(true);
    }
    for (const bad of ['2016-04-01', '2016-04-01 00:00:00Z', '2016-04-01T00:00:00', '2023-02-29T00:00:00Z', '2016-13-01T00:00:00Z', '2016-04-01T24:00:00Z', '2016-04-01T00:00:00+24:00', '1459468800']) {
      expect(isRfc3339DateTime(bad), bad).toBe(false);
    }
  });
});
