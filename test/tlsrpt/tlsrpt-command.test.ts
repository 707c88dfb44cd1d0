import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tlsReportMessage } from '../../src/tlsrpt/build-tlsrpt.js';
import { validateTlsReport } from '../../src/tlsrpt/tlsrpt-schema.js';
import { runInProcess } from '../helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/tlsrpt');
/** RFC 8460 Appendix B's example report, transcribed (see test/fixtures/tlsrpt/README.md). */
const APPENDIX_B_FILE = join(FIXTURES, 'rfc8460-appendix-b.json');
const APPENDIX_B = JSON.parse(readFileSync(APPENDIX_B_FILE, 'utf8')) as unknown;

function badmx(args: string[], input?: string) {
  return runInProcess(['tlsrpt', ...args], input === undefined ? { stdinTTY: true } : { input });
}

describe('badmx tlsrpt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-tlsrpt-'));
  const json = join(dir, 'report.json');
  copyFileSync(APPENDIX_B_FILE, json);
  const gz = join(dir, 'report.json.gz');
  writeFileSync(gz, gzipSync(readFileSync(APPENDIX_B_FILE)));
  const eml = join(dir, 'report.eml');
  writeFileSync(
    eml,
    tlsReportMessage({
      report: validateTlsReport(APPENDIX_B),
      from: 'tlsrpt@mail.sender.example.com',
      to: 'rua@company-y.example',
      submitter: 'mail.sender.example.com',
      gzip: true,
      date: new Date('2016-04-02T00:00:00Z'),
    }),
  );

  it('summarizes a report: where it came from, one row per policy, failures most sessions first', async () => {
    const result = await badmx([json]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('1 report from JSON');
    expect(lines[2]).toMatch(/^organization\s+report-id\s+period \(UTC\)\s+policy domain\s+type\s+successful\s+failed$/);
    expect(lines[4]).toMatch(
      /^Company-X\s+5065427c-23d3-47ca-b6e0-946ea0e8c4be\s+2016-04-01T00:00:00Z \.\. 2016-04-01T23:59:59Z\s+company-y\.example\s+sts\s+5326\s+303$/,
    );
    expect(lines.slice(6)).toEqual([
      expect.stringMatching(/^policy domain\s+result type\s+sessions\s+receiving MX$/),
      expect.stringMatching(/^-+/),
      expect.stringMatching(/^company-y\.example\s+starttls-not-supported\s+200\s+mx2\.mail\.company-y\.example$/),
      expect.stringMatching(/^company-y\.example\s+certificate-expired\s+100\s+mx1\.mail\.company-y\.example$/),
      expect.stringMatching(/^company-y\.example\s+validation-failure\s+3\s+mx-backup\.mail\.company-y\.example$/),
    ]);
  });

  it('reads a .json.gz and a mail the same way, and names the mail\'s report headers', async () => {
    const fromGzip = await badmx([gz]);
    expect(fromGzip.exitCode).toBe(0);
    expect(fromGzip.stdout.split('\n')[0]).toBe('1 report from gzipped JSON');
    const fromMail = await badmx([eml]);
    expect(fromMail.exitCode).toBe(0);
    expect(fromMail.stdout.split('\n')[0]).toBe('1 report from a mail, TLS-Report-Domain: company-y.example, TLS-Report-Submitter: mail.sender.example.com');
    const rest = (text: string) => text.split('\n').slice(1);
    expect(rest(fromGzip.stdout)).toEqual(rest((await badmx([json])).stdout));
    expect(rest(fromMail.stdout)).toEqual(rest(fromGzip.stdout));
  });

  it('--format json prints the validated reports and where they came from', async () => {
    const result = await badmx(['--format', 'json', eml]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ reports: [APPENDIX_B], source: 'mail', reportDomain: 'company-y.example', submitter: 'mail.sender.example.com' });
  });

  it('reads standard input with "-", and refuses a terminal', async () => {
    const piped = await badmx(['-', '--format', 'json'], readFileSync(APPENDIX_B_FILE, 'utf8'));
    expect(piped.exitCode).toBe(0);
    expect((JSON.parse(piped.stdout) as { reports: unknown[] }).reports).toEqual([APPENDIX_B]);
    const tty = await badmx(['-']);
    expect(tty.exitCode).toBe(2);
    expect(tty.stderr).toBe('badmx: no input: give a report file, or pipe one in (badmx tlsrpt - < report.json.gz)');
  });

  it('marks a result type RFC 8460 does not list, and says when there are no failures', async () => {
    const report = validateTlsReport(structuredClone(APPENDIX_B));
    const policy = report.policies[0]!;
    policy['failure-details'] = [{ 'result-type': 'tls-version-too-old', 'failed-session-count': 303 }];
    const file = join(dir, 'unknown-type.json');
    writeFileSync(file, JSON.stringify(report));
    const result = await badmx([file]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\ncompany-y\.example\s+tls-version-too-old \(not an RFC 8460 result type\)\s+303\s+-$/);
    delete policy['failure-details'];
    writeFileSync(file, JSON.stringify(report));
    expect((await badmx([file])).stdout).toMatch(/\nno failures reported$/);
  });

  it('shows peer text printable: a control character in the report is escaped, never sent to the terminal', async () => {
    const report = { ...(APPENDIX_B as object), 'organization-name': 'Evil\u001b[2J\r\nCorp' };
    const file = join(dir, 'hostile.json');
    writeFileSync(file, JSON.stringify(report));
    const result = await badmx([file]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Evil\\x1b[2J\\x0d\\x0aCorp');
    expect(result.stdout).not.toContain('\u001b');
  });

  it('one line and exit 2 for a file that is missing, not a report, or invalid; and for a bad --format', async () => {
    const missing = await badmx([join(dir, 'none.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(`badmx: ${join(dir, 'none.json')}: cannot read it (no such file)`);
    const notReport = join(dir, 'notes.txt');
    writeFileSync(notReport, 'just some notes\n');
    expect((await badmx([notReport])).stderr).toBe(
      `badmx: ${notReport}: neither JSON, gzip nor a mail message (it starts with "just some notes\\x0a"); give a TLS report as RFC 8460 §5 sends it`,
    );
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...(APPENDIX_B as object), 'report-id': 42 }));
    const bad = await badmx([invalid]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`badmx: ${invalid}: report-id: must be the report's unique identifier, not 42`);
    const directory = await badmx([dir]);
    expect(directory.stderr).toBe(`badmx: ${dir}: cannot read it (is a directory)`);
    const format = await badmx(['--format', 'xml', json]);
    expect(format.exitCode).toBe(2);
    expect(format.stderr).toMatch(/^badmx: option '--format <format>' argument 'xml' is invalid\. Allowed choices are text, json\. \(see --help\)$/);
  });

  it('is in the help, beside the other commands', async () => {
    const help = await runInProcess(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/\n\s+tlsrpt \[options\] <file>\s+read a TLS-RPT report/);
  });
});
