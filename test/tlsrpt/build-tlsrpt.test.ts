import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { buildTlsReport, rfc5322Date, subjectReportId, tlsReportFilename, tlsReportMessage, type TlsReportInput } from '../../src/tlsrpt/build-tlsrpt.js';
import { readTlsReports } from '../../src/tlsrpt/read-tlsrpt.js';
import type { TlsReport } from '../../src/tlsrpt/tlsrpt-schema.js';
import { requireTool } from '../helpers/require-tool.js';

const PYTHON = requireTool('/usr/bin/python3', 'python3');
/** RFC 8460 Appendix B's example report, transcribed (see test/fixtures/tlsrpt/README.md). */
const APPENDIX_B = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/tlsrpt/rfc8460-appendix-b.json'), 'utf8')) as TlsReport;

/** Appendix B's report, as its parts would be given to buildTlsReport. */
const APPENDIX_B_INPUT: TlsReportInput = {
  organizationName: 'Company-X',
  contactInfo: 'sts-reporting@company-x.example',
  reportId: '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
  start: new Date('2016-04-01T00:00:00Z'),
  end: '2016-04-01T23:59:59Z',
  policies: [
    {
      policyType: 'sts',
      policyString: ['version: STSv1', 'mode: testing', 'mx: *.mail.company-y.example', 'max_age: 86400'],
      policyDomain: 'company-y.example',
      mxHost: ['*.mail.company-y.example'],
      successful: 5326,
      failures: [
        { resultType: 'certificate-expired', sendingMtaIp: '2001:db8:abcd:0012::1', receivingMxHostname: 'mx1.mail.company-y.example', count: 100 },
        {
          resultType: 'starttls-not-supported',
          sendingMtaIp: '2001:db8:abcd:0013::1',
          receivingMxHostname: 'mx2.mail.company-y.example',
          receivingIp: '203.0.113.56',
          count: 200,
          additionalInformation: 'https://reports.company-x.example/report_info ? id = 5065427 c - 23 d3# StarttlsNotSupported ',
        },
        {
          resultType: 'validation-failure',
          sendingMtaIp: '198.51.100.62',
          receivingIp: '203.0.113.58',
          receivingMxHostname: 'mx-backup.mail.company-y.example',
          count: 3,
          failureReasonCode: 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
        },
      ],
    },
  ],
};

/**
 * Python's email parser (email.policy.default), independently of badmx: the message's
 * fields, its structure, each part's decoded bytes, and every defect Python found.
 */
const PARSE_MAIL = `
import sys, json, base64
from email import message_from_bytes
from email.policy import default

msg = message_from_bytes(sys.stdin.buffer.read(), policy=default)
def describe(part):
    out = {
        "contentType": part.get_content_type(),
        "params": dict(part.get_params() or [])  ,
        "cte": part.get("Content-Transfer-Encoding"),
        "filename": part.get_filename(),
        "defects": [type(d).__name__ for d in part.defects],
    }
    if part.is_multipart():
        out["parts"] = [describe(p) for p in part.iter_parts()]
    else:
        out["payload"] = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
    return out
print(json.dumps({
    "from": str(msg["From"]),
    "to": str(msg["To"]),
    "date": msg["Date"].datetime.isoformat(),
    "messageId": str(msg["Message-ID"]),
    "subject": str(msg["Subject"]),
    "tlsReportDomain": str(msg["TLS-Report-Domain"]),
    "tlsReportSubmitter": str(msg["TLS-Report-Submitter"]),
    "mimeVersion": str(msg["MIME-Version"]),
    "body": describe(msg),
}))
`;

interface PythonPart {
  contentType: string;
  params: Record<string, string>;
  cte: string | null;
  filename: string | null;
  defects: string[];
  parts?: PythonPart[];
  payload?: string;
}

async function pythonParse(message: string): Promise<{ [field: string]: string } & { body: PythonPart }> {
  const result = await execa(PYTHON, ['-c', PARSE_MAIL], { input: message });
  return JSON.parse(result.stdout) as { [field: string]: string } & { body: PythonPart };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as BadmxError).code).toBe('ETLSRPT');
    expect((error as BadmxError).message).not.toMatch(/[\r\n]/);
    return (error as BadmxError).message;
  }
  throw new Error('it was accepted');
}

describe('buildTlsReport', () => {
  it('builds RFC 8460 Appendix B from its parts, key for key, keys in §4.4\'s order', () => {
    const report = buildTlsReport(APPENDIX_B_INPUT);
    expect(report).toEqual(APPENDIX_B);
    // Keys in §4.4's order (the example itself lists one detail's receiving-ip first).
    expect(Object.keys(report)).toEqual(['organization-name', 'date-range', 'contact-info', 'report-id', 'policies']);
    expect(Object.keys(report.policies[0]!.policy)).toEqual(['policy-type', 'policy-string', 'policy-domain', 'mx-host']);
    expect(Object.keys(report.policies[0]!['failure-details']![2]!)).toEqual([
      'result-type',
      'sending-mta-ip',
      'receiving-mx-hostname',
      'receiving-ip',
      'failed-session-count',
      'failure-reason-code',
    ]);
  });

  it('counts the failed sessions from the failures unless told, and leaves out what was not given', () => {
    const report = buildTlsReport({
      organizationName: 'badmx',
      contactInfo: 'mailto:tlsrpt@badmx.example',
      reportId: 'r1',
      start: new Date('2024-05-01T00:00:00.000Z'),
      end: new Date('2024-05-01T23:59:59.500Z'),
      policies: [
        {
          policyType: 'no-policy-found',
          policyDomain: 'expired.badmx.test',
          successful: 0,
          failures: [
            { resultType: 'certificate-expired', count: 2 },
            { resultType: 'tls-version-too-old', count: 1 },
          ],
        },
        { policyType: 'sts', policyDomain: 'tls1.3.badmx.test', successful: 4 },
      ],
    });
    expect(report['date-range']).toEqual({ 'start-datetime': '2024-05-01T00:00:00Z', 'end-datetime': '2024-05-01T23:59:59.500Z' });
    expect(report.policies[0]?.summary['total-failure-session-count']).toBe(3);
    expect(report.policies[0]?.['failure-details']).toEqual([
      { 'result-type': 'certificate-expired', 'failed-session-count': 2 },
      { 'result-type': 'tls-version-too-old', 'failed-session-count': 1 },
    ]);
    expect(report.policies[1]).toEqual({
      policy: { 'policy-type': 'sts', 'policy-domain': 'tls1.3.badmx.test' },
      summary: { 'total-successful-session-count': 4, 'total-failure-session-count': 0 },
    });
  });

  it('refuses what would not be a valid report, naming the field', () => {
    const policy = APPENDIX_B_INPUT.policies[0]!;
    expect(errorOf(() => buildTlsReport({ ...APPENDIX_B_INPUT, policies: [{ ...policy, successful: -5 }] }))).toBe(
      'the TLS report to build: policies[0].summary.total-successful-session-count: must be a non-negative integer, not -5',
    );
    expect(errorOf(() => buildTlsReport({ ...APPENDIX_B_INPUT, end: '2016-03-01T00:00:00Z' }))).toBe(
      'the TLS report to build: date-range.end-datetime: must not be before start-datetime (2016-04-01T00:00:00Z)',
    );
    expect(errorOf(() => buildTlsReport({ ...APPENDIX_B_INPUT, start: new Date('nonsense') }))).toBe('the TLS report to build: its start is not a valid date');
  });
});

describe('tlsReportFilename (RFC 8460 §5.1)', () => {
  it('is submitter!policy-domain!begin!end[!unique-id].json[.gz], in seconds since 1970', () => {
    const times = { start: '2016-04-01T00:00:00Z', end: '2016-04-01T23:59:59Z' };
    expect(tlsReportFilename({ submitter: 'mail.sender.example.com', policyDomain: 'company-y.example', ...times, gzip: true })).toBe(
      'mail.sender.example.com!company-y.example!1459468800!1459555199.json.gz',
    );
    expect(tlsReportFilename({ submitter: 'mail.sender.example.com', policyDomain: 'example.net', start: new Date(1470013207000), end: new Date(1470186007000), uniqueId: '001', gzip: false })).toBe(
      'mail.sender.example.com!example.net!1470013207!1470186007!001.json',
    );
    expect(errorOf(() => tlsReportFilename({ submitter: 'a!b.example', policyDomain: 'x.example', ...times, gzip: true }))).toBe(
      'TLS report mail: the submitter must be a domain name such as "mail.example.com", not "a!b.example"',
    );
    expect(errorOf(() => tlsReportFilename({ submitter: 'a.example', policyDomain: 'x.example', ...times, uniqueId: 'a-1', gzip: true }))).toBe(
      'TLS report file name: uniqueId must be letters and digits only (RFC 8460 §5.1), not "a-1"',
    );
  });
});

describe('tlsReportMessage (RFC 8460 §5.3)', () => {
  const date = new Date('2016-04-02T01:02:03Z');
  const options = { report: APPENDIX_B, from: 'TLS reports <tlsrpt@mail.sender.example.com>', to: 'rua@company-y.example', submitter: 'mail.sender.example.com', date };

  for (const gzip of [true, false]) {
    it(`is a multipart/report Python's email parser reads without a defect, the report ${gzip ? 'gzipped' : 'as JSON'} in base64`, async () => {
      const message = tlsReportMessage({ ...options, gzip });
      const parsed = await pythonParse(message);
      expect(parsed.from).toBe('TLS reports <tlsrpt@mail.sender.example.com>');
      expect(parsed.to).toBe('rua@company-y.example');
      expect(parsed.date).toBe('2016-04-02T01:02:03+00:00');
      expect(parsed.messageId).toMatch(/^<tlsrpt\.[0-9a-f]{24}@mail\.sender\.example\.com>$/);
      expect(parsed.subject).toBe(
        'Report Domain: company-y.example Submitter: mail.sender.example.com Report-ID: <5065427c-23d3-47ca-b6e0-946ea0e8c4be@mail.sender.example.com>',
      );
      expect(parsed.tlsReportDomain).toBe('company-y.example');
      expect(parsed.tlsReportSubmitter).toBe('mail.sender.example.com');
      expect(parsed.mimeVersion).toBe('1.0');
      const body = parsed.body;
      expect(body.contentType).toBe('multipart/report');
      expect(body.params['report-type']).toBe('tlsrpt');
      expect(body.defects).toEqual([]);
      const [text, attachment] = body.parts ?? [];
      expect(body.parts).toHaveLength(2);
      expect(text?.contentType).toBe('text/plain');
      expect(text?.defects).toEqual([]);
      expect(Buffer.from(text?.payload ?? '', 'base64').toString('ascii')).toContain('This is an aggregate TLS report from mail.sender.example.com');
      expect(attachment?.contentType).toBe(gzip ? 'application/tlsrpt+gzip' : 'application/tlsrpt+json');
      expect(attachment?.cte).toBe('base64');
      expect(attachment?.defects).toEqual([]);
      expect(attachment?.filename).toBe(`mail.sender.example.com!company-y.example!1459468800!1459555199.json${gzip ? '.gz' : ''}`);
      const bytes = Buffer.from(attachment?.payload ?? '', 'base64');
      const json = gzip ? gunzipSync(bytes) : bytes;
      expect(JSON.parse(json.toString('utf8'))).toEqual(APPENDIX_B);
    });

    it(`reads back with readTlsReports (${gzip ? 'gzip' : 'JSON'})`, () => {
      const message = tlsReportMessage({ ...options, gzip });
      expect(readTlsReports(Buffer.from(message))).toEqual({ reports: [APPENDIX_B], source: 'mail', reportDomain: 'company-y.example', submitter: 'mail.sender.example.com' });
    });
  }

  it('is 7bit with CRLF line ends, base64 in lines of 76, and the same bytes for the same report and date', () => {
    const message = tlsReportMessage({ ...options, gzip: true });
    expect(message).toMatch(/^[\x20-\x7e\r\n]*$/);
    expect(message.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = message.split('\r\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(998);
    const start = lines.indexOf('', lines.indexOf('Content-Transfer-Encoding: base64')) + 1;
    const base64 = lines.slice(start, lines.indexOf('', start));
    expect(base64.length).toBeGreaterThan(1);
    for (const line of base64.slice(0, -1)) expect(line).toHaveLength(76);
    expect(tlsReportMessage({ ...options, gzip: true })).toBe(message);
    expect(tlsReportMessage({ ...options, gzip: true, date: new Date('2016-04-02T01:02:04Z') })).not.toBe(message);
  });

  it('keeps a short Subject on one line and takes the Report Domain from the option when given', () => {
    const report = buildTlsReport({ ...APPENDIX_B_INPUT, reportId: 'r1@b' });
    const message = tlsReportMessage({ report, from: 'a@b.example', to: ['x@y.example', 'z@y.example'], submitter: 'b.example', reportDomain: 'y.example', gzip: false, date });
    expect(message).toContain('\r\nSubject: Report Domain: y.example Submitter: b.example Report-ID: <r1@b>\r\n');
    expect(message).toContain('\r\nTLS-Report-Domain: y.example\r\n');
    expect(message).toContain('\r\nTo: x@y.example,\r\n z@y.example\r\n');
    expect(message).toContain('filename="b.example!y.example!1459468800!1459555199.json"');
  });

  it('refuses header text that could add fields of its own, and names that are not domains', () => {
    expect(errorOf(() => tlsReportMessage({ ...options, from: 'a@b.example\r\nBcc: victim@example.org', gzip: true }))).toBe(
      'TLS report mail: from must be one line of printable ASCII, not "a@b.example\\r\\nBcc: victim@example.org"',
    );
    expect(errorOf(() => tlsReportMessage({ ...options, to: [], gzip: true }))).toBe("TLS report mail: to: give at least one address (the policy domain's rua mailto:)");
    expect(errorOf(() => tlsReportMessage({ ...options, submitter: 'mail sender', gzip: true }))).toBe(
      'TLS report mail: the submitter must be a domain name such as "mail.example.com", not "mail sender"',
    );
  });
});

describe('the Subject\'s Report-ID and the Date field', () => {
  it('is an RFC 5322 msg-id: kept when it is one, else made one at the submitter', () => {
    expect(subjectReportId('735ff.e317+bf22029@example.net', 's.example')).toBe('735ff.e317+bf22029@example.net');
    expect(subjectReportId('2024-05-01T00:00:00Z_example.com', 's.example')).toBe('2024-05-01T00.00.00Z_example.com@s.example');
    expect(subjectReportId('a b  c', 's.example')).toBe('a.b.c@s.example');
    expect(subjectReportId('::', 's.example')).toBe('report@s.example');
  });

  it('formats the Date as RFC 5322 §3.3 in UTC', () => {
    expect(rfc5322Date(new Date('2017-05-09T16:54:30Z'))).toBe('Tue, 09 May 2017 16:54:30 +0000');
  });
});
