import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { readTlsReports, TLSRPT_LIMITS } from '../../src/tlsrpt/read-tlsrpt.js';
import { requireTool } from '../helpers/require-tool.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/tlsrpt');
/** RFC 8460 Appendix B's example report, transcribed (see test/fixtures/tlsrpt/README.md). */
const APPENDIX_B = readFileSync(join(FIXTURES, 'rfc8460-appendix-b.json'));
const REPORT = JSON.parse(APPENDIX_B.toString('utf8')) as unknown;
/** RFC 8460 §5.3's example mail, transcribed, with the placeholder where its attachment goes. */
const SECTION_5_3 = readFileSync(join(FIXTURES, 'rfc8460-section-5.3-message.eml'), 'latin1');

const GZIP = requireTool('/usr/bin/gzip', 'gzip');
const PYTHON = requireTool('/usr/bin/python3', 'python3');

/** The real gzip(1), not node:zlib: the bytes a reporter's tooling (or a person) would make. */
async function gzipTool(input: Uint8Array, args: string[] = ['-9', '-c']): Promise<Buffer> {
  const result = await execa(GZIP, args, { input, encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(result.stdout);
}

/**
 * A report mail made by Python's own email package (email.mime), independently of badmx's
 * MIME code: the kinds a reporter sends and some it might. `report` is the JSON text.
 */
const MAKE_MAIL = `
import sys, json, gzip
from email import encoders
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP

spec = json.load(sys.stdin)
kind = spec["kind"]
report = spec["report"].encode("utf-8")
name = "mail.sender.example.com!company-y.example!1459468800!1459555199.json"

def headers(msg):
    msg["From"] = "tlsrpt@mail.sender.example.com"
    msg["To"] = "rua@company-y.example"
    msg["Subject"] = "Report Domain: company-y.example Submitter: mail.sender.example.com Report-ID: <5065427c@mail.sender.example.com>"
    msg["TLS-Report-Domain"] = "company-y.example"
    msg["TLS-Report-Submitter"] = "mail.sender.example.com"
    return msg

def report_mail(part):
    msg = MIMEMultipart("report", report_type="tlsrpt")
    msg.attach(MIMEText("This is an aggregate TLS report from mail.sender.example.com"))
    msg.attach(part)
    return msg

if kind == "gzip-base64":
    part = MIMEApplication(gzip.compress(report), "tlsrpt+gzip")
    part.add_header("Content-Disposition", "attachment", filename=name + ".gz")
    msg = headers(report_mail(part))
elif kind == "json-quoted-printable":
    part = MIMEApplication(report, "tlsrpt+json", _encoder=encoders.encode_quopri)
    part.add_header("Content-Disposition", "attachment", filename=name)
    msg = headers(report_mail(part))
elif kind == "nested":
    inner = report_mail(MIMEApplication(gzip.compress(report), "tlsrpt+gzip"))
    msg = MIMEMultipart("mixed")
    msg.attach(MIMEText("A report, forwarded as it came."))
    msg.attach(inner)
    msg = headers(msg)
elif kind == "bare-json":
    msg = headers(MIMEApplication(report, "tlsrpt+json", _encoder=encoders.encode_7or8bit))
elif kind == "delivery-status":
    msg = MIMEMultipart("report", report_type="delivery-status")
    msg.attach(MIMEText("Your message could not be delivered."))
    status = MIMEText("Reporting-MTA: dns; mx.example.net\\n", "delivery-status")
    msg.attach(status)
    msg["From"] = "MAILER-DAEMON@example.net"
    msg["To"] = "someone@example.org"
    msg["Subject"] = "Undelivered Mail Returned to Sender"
else:
    raise SystemExit("unknown kind " + kind)

sys.stdout.buffer.write(msg.as_bytes(policy=SMTP))
`;

async function pythonMail(kind: string, report: string = APPENDIX_B.toString('utf8')): Promise<Buffer> {
  const result = await execa(PYTHON, ['-c', MAKE_MAIL], { input: JSON.stringify({ kind, report }), encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(result.stdout);
}

/** The RFC 8460 §5.3 example mail with `attachment` (bytes) base64-encoded where the RFC's placeholder is. */
function section53(attachment: Buffer): Buffer {
  const base64 = (attachment.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  return Buffer.from(SECTION_5_3.replace(/\r?\n/g, '\r\n').replace('<gzipped content of report>', base64), 'latin1');
}

/** The one-line error readTlsReports gives for `bytes`. */
function errorOf(bytes: Uint8Array, options: Parameters<typeof readTlsReports>[1] = { label: 'input' }): string {
  try {
    readTlsReports(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as BadmxError).code).toBe('ETLSRPT');
    const message = (error as BadmxError).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  }
  throw new Error('the input was accepted');
}

describe('readTlsReports: a report as it arrives', () => {
  it('reads the JSON of RFC 8460 Appendix B (an HTTPS POST body, RFC 8460 §5.4)', () => {
    const read = readTlsReports(APPENDIX_B);
    expect(read).toEqual({ reports: [REPORT], source: 'json', reportDomain: null, submitter: null });
    // A byte-order mark and leading white space are not an error.
    expect(readTlsReports(Buffer.concat([Buffer.from('\uFEFF \r\n'), APPENDIX_B])).reports).toEqual([REPORT]);
  });

  it('reads a .json.gz made by the gzip command line tool as the same report', async () => {
    const gz = await gzipTool(APPENDIX_B);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(readTlsReports(gz)).toEqual({ reports: [REPORT], source: 'gzip', reportDomain: null, submitter: null });
    // gzip(1) with a file name in the header (-N) and at its fastest: still the same report.
    const named = await gzipTool(APPENDIX_B, ['-1', '-c', '-n']);
    expect(readTlsReports(named).reports).toEqual([REPORT]);
  });

  it('reads the example mail of RFC 8460 §5.3, its attachment the Appendix B report gzipped by gzip(1)', async () => {
    const read = readTlsReports(section53(await gzipTool(APPENDIX_B)));
    expect(read).toEqual({ reports: [REPORT], source: 'mail', reportDomain: 'example.net', submitter: 'mail.sender.example.com' });
  });

  it('reads mails built by Python\'s email package: gzip in base64, JSON in quoted-printable, nested multiparts, a bare report', async () => {
    const shapes: Record<string, RegExp[]> = {
      'gzip-base64': [/^Content-Type: multipart\/report; report-type="tlsrpt";/m, /^Content-Type: application\/tlsrpt\+gzip\r?$/m, /^Content-Transfer-Encoding: base64\r?$/m],
      'json-quoted-printable': [/^Content-Type: application\/tlsrpt\+json\r?$/m, /^Content-Transfer-Encoding: quoted-printable\r?$/m, /=\r\n/],
      nested: [/^Content-Type: multipart\/mixed;/m, /^Content-Type: multipart\/report; report-type="tlsrpt";/m],
      'bare-json': [/^Content-Type: application\/tlsrpt\+json\r?$/m, /^Content-Transfer-Encoding: 7bit\r?$/m],
    };
    for (const [kind, shape] of Object.entries(shapes)) {
      const mail = await pythonMail(kind);
      // Python made what the test says it made.
      for (const pattern of shape) expect(mail.toString('latin1'), `${kind}: ${pattern}`).toMatch(pattern);
      const read = readTlsReports(mail, { label: kind });
      expect(read, kind).toEqual({ reports: [REPORT], source: 'mail', reportDomain: 'company-y.example', submitter: 'mail.sender.example.com' });
    }
  });

  it('reads quoted-printable that had to encode: non-ASCII report text arrives as its UTF-8', async () => {
    const report = APPENDIX_B.toString('utf8').replace('Company-X', 'Société Générale — Zürich');
    const mail = await pythonMail('json-quoted-printable', report);
    expect(mail.toString('latin1')).toMatch(/=C3=A9/);
    expect(readTlsReports(mail).reports[0]?.['organization-name']).toBe('Société Générale — Zürich');
  });

  it('reads a mail with bare LF line ends, as a mailbox file stores it, mbox separator and all', async () => {
    const mail = (await pythonMail('gzip-base64')).toString('latin1').replace(/\r\n/g, '\n');
    expect(readTlsReports(Buffer.from(mail, 'latin1')).reports).toEqual([REPORT]);
    // An mbox file of one message: its "From " separator line first.
    const mbox = `From tlsrpt@mail.sender.example.com Sat Apr  2 01:00:00 2016\n${mail}`;
    expect(readTlsReports(Buffer.from(mbox, 'latin1'))).toMatchObject({ reports: [REPORT], source: 'mail', reportDomain: 'company-y.example' });
  });

  it('reads every report part of one mail', async () => {
    const gz = await gzipTool(APPENDIX_B);
    const mail = section53(gz).toString('latin1');
    const boundary = '------=_NextPart_000_024E_01CC9B0A.AFE54C00';
    const part = mail.slice(mail.indexOf(`${boundary}\r\nContent-Type: application/tlsrpt+gzip`), mail.lastIndexOf(`${boundary}--`));
    const twice = mail.replace(`${boundary}--`, `${part}${boundary}--`);
    expect(readTlsReports(Buffer.from(twice, 'latin1')).reports).toEqual([REPORT, REPORT]);
  });
});

describe('readTlsReports: what it refuses, in one line', () => {
  it('a truncated gzip', async () => {
    const gz = await gzipTool(APPENDIX_B);
    expect(errorOf(gz.subarray(0, gz.length - 20))).toBe('input: not a valid gzip stream (unexpected end of file)');
    expect(errorOf(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]))).toMatch(/^input: not a valid gzip stream \(.+\)$/);
  });

  it('a gzip bomb: one that expands past the bound stops there', async () => {
    // 9 MiB of spaces around a report: valid JSON, some 9 KiB gzipped, over the 8 MiB bound.
    const padded = Buffer.concat([Buffer.alloc(9 * 1024 * 1024, 0x20), APPENDIX_B]);
    const bomb = await gzipTool(padded);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(errorOf(bomb)).toBe('input: the gzip expands to more than the 8 MiB limit of a report');
    // The bound is the caller's to set, and applies to the mail's attachment the same way.
    expect(errorOf(await gzipTool(APPENDIX_B), { label: 'input', maxReportBytes: 1024 })).toBe('input: the gzip expands to more than the 1 KiB limit of a report');
    expect(errorOf(section53(bomb))).toBe('input: part 2 (application/tlsrpt+gzip): the gzip expands to more than the 8 MiB limit of a report');
  });

  it('input over the input bound, and empty input', () => {
    expect(TLSRPT_LIMITS.input).toBe(10 * 1024 * 1024);
    expect(errorOf(Buffer.alloc(TLSRPT_LIMITS.input + 1, 0x20))).toBe('input: larger than the 10 MiB limit of a TLS report');
    expect(errorOf(Buffer.alloc(0))).toBe('input: empty (give a TLS report: JSON, gzip, or the mail that carried it)');
  });

  it('a report with a field missing or of the wrong type, wherever it came from', async () => {
    const broken = JSON.stringify({ ...(REPORT as object), policies: [{ policy: { 'policy-type': 'sts', 'policy-domain': 'x.example' }, summary: { 'total-successful-session-count': 1 } }] });
    const expected = 'policies[0].summary.total-failure-session-count: is missing: give a non-negative integer';
    expect(errorOf(Buffer.from(broken))).toBe(`input: ${expected}`);
    expect(errorOf(await gzipTool(Buffer.from(broken)))).toBe(`input: ${expected}`);
    expect(errorOf(await pythonMail('gzip-base64', broken))).toBe(`input: part 2 (application/tlsrpt+gzip): ${expected}`);
    expect(errorOf(await pythonMail('bare-json', broken))).toBe(`input: its body (application/tlsrpt+json): ${expected}`);
    const wrongType = APPENDIX_B.toString('utf8').replace('"failed-session-count": 100', '"failed-session-count": "100"');
    expect(errorOf(Buffer.from(wrongType))).toBe('input: policies[0].failure-details[0].failed-session-count: must be a non-negative integer, not "100"');
  });

  it('JSON that is not JSON, nested too deeply, or not UTF-8', () => {
    expect(errorOf(Buffer.from('{"organization-name": "x",}'))).toMatch(/^input: not valid JSON \(.+ at line 1, column \d+\)$/);
    expect(errorOf(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`))).toBe('input: JSON nested too deeply (more than 64 levels at line 1, column 65)');
    expect(errorOf(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))).toBe('input: the report is not UTF-8 (RFC 8460 reports are I-JSON, RFC 7493)');
  });

  it('a mail that is not a TLS report: a bounce, a plain message', async () => {
    expect(errorOf(await pythonMail('delivery-status'))).toBe(
      'input: a mail (multipart/report; report-type=delivery-status) with no TLS report in it: RFC 8460 §5.3 puts one in an application/tlsrpt+json or application/tlsrpt+gzip part',
    );
    expect(errorOf(Buffer.from('From: a@example.org\r\nSubject: hello\r\n\r\nJust text.\r\n'))).toBe(
      'input: a mail (text/plain) with no TLS report in it: RFC 8460 §5.3 puts one in an application/tlsrpt+json or application/tlsrpt+gzip part',
    );
  });

  it('something that is neither JSON, gzip nor mail', () => {
    expect(errorOf(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'))).toBe(
      'input: neither JSON, gzip nor a mail message (it starts with "%PDF-1.7\\x0a%\\xe2\\xe3\\xcf\\xd3\\x0a"); give a TLS report as RFC 8460 §5 sends it',
    );
  });

  it('a damaged attachment: cut short, not base64, not gzip, an encoding badmx does not read', async () => {
    const mail = (await pythonMail('gzip-base64')).toString('latin1');
    // Cut inside the base64: whole lines decode, the gzip they hold ends early.
    const base64Start = mail.indexOf('H4sI');
    expect(errorOf(Buffer.from(mail.slice(0, base64Start + 160), 'latin1'))).toBe('input: part 2 (application/tlsrpt+gzip): not a valid gzip stream (unexpected end of file)');
    expect(errorOf(Buffer.from(mail.replace('H4sI', 'H4s!'), 'latin1'))).toBe(
      'input: part 2 (application/tlsrpt+gzip): its base64 holds characters that are not base64 (a damaged or truncated attachment?)',
    );
    const notGzip = section53(Buffer.from('{"not": "gzip"}'));
    expect(errorOf(notGzip)).toBe('input: part 2 (application/tlsrpt+gzip): not gzip (it does not start with the gzip magic number 1f 8b)');
    expect(errorOf(Buffer.from(mail.replace('Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: x-uuencode'), 'latin1'))).toBe(
      'input: part 2 (application/tlsrpt+gzip): Content-Transfer-Encoding "x-uuencode" is not one badmx reads (base64, quoted-printable, 7bit, 8bit, binary)',
    );
  });

  it('a multipart without its boundary, or nested without end', () => {
    expect(errorOf(Buffer.from('Content-Type: multipart/report; report-type=tlsrpt\r\n\r\nbody\r\n'))).toBe('input: multipart/report without a boundary parameter (RFC 2046 §5.1.1)');
    expect(errorOf(Buffer.from('Content-Type: multipart/report; boundary=abc\r\n\r\nno delimiter here\r\n'))).toBe('input: multipart/report whose boundary "abc" never starts a part');
    let nested = '{}';
    for (let depth = 12; depth > 0; depth--) nested = `Content-Type: multipart/mixed; boundary=b${depth}\r\n\r\n--b${depth}\r\n${nested}\r\n--b${depth}--\r\n`;
    expect(errorOf(Buffer.from(nested))).toBe('input: part 1.1.1.1.1.1.1.1: multiparts nested more than 8 deep');
  });
});

describe('readTlsReports on damaged input', () => {
  it('gives a report or a one-line, printable BadmxError for any cut, flipped or spliced input, never anything else', async () => {
    const mail = await pythonMail('gzip-base64');
    const json = await pythonMail('json-quoted-printable');
    fc.assert(
      fc.property(
        fc.constantFrom(mail, json, APPENDIX_B),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        (base, cut, flips, splice) => {
          const bytes = Buffer.concat([base.subarray(0, cut % (base.length + 1)), Buffer.from(splice)]);
          for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
          try {
            const read = readTlsReports(bytes);
            expect(read.reports.length).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(BadmxError);
            // One line, and nothing from the input that a terminal would act on.
            // eslint-disable-next-line no-control-regex
            expect((error as BadmxError).message).not.toMatch(/[\x00-\x1f\x7f]/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
