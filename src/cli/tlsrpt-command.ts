import { readStdinBytes } from './read-stdin.js';
import { Option, type Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { BadmxError } from '../errors.js';
import { printable } from '../text/printable.js';
import { readTlsReportFile } from '../tlsrpt/read-tlsrpt-file.js';
import { readTlsReports, TLSRPT_LIMITS, type TlsReportsRead } from '../tlsrpt/read-tlsrpt.js';
import { summarizeTlsReports } from '../tlsrpt/summarize-tlsrpt.js';
import { formatLimit } from '../files/read-bounded.js';
import { formatTable } from './table.js';
import { examplesText } from './help-text.js';

/**
 * `badmx tlsrpt <file|-> [--format text|json]`: read one TLS report (RFC 8460) as it arrived,
 * JSON, gzip or the whole mail, check it, and show what it says: one row per policy, then
 * one per kind of failure. `--format json` prints the validated reports instead, with where
 * they came from, for a script. A file that is not a valid report is one line and exit 2.
 */
export function registerTlsrptCommand(program: Command, { io }: CliContext): void {
  program
    .command('tlsrpt')
    .description('read a TLS-RPT report (RFC 8460: JSON, .json.gz or the mail that carried it), check it and summarize it')
    .argument('<file>', 'the report: JSON, gzip or a mail message; "-" reads standard input')
    .addOption(new Option('--format <format>', 'text: a summary; json: the validated reports').choices(['text', 'json']).default('text'))
    .addHelpText('after', examplesText(["badmx tlsrpt report.json.gz", "badmx tlsrpt --format json - < report.json"])).action(async (file: string, flags: { format: 'text' | 'json' }) => {
      const read = file === '-' ? readTlsReports(
              await readStdinBytes(io.stdin, {
                limit: TLSRPT_LIMITS.input,
                usage: 'no input: give a report file, or pipe one in (badmx tlsrpt - < report.json.gz)',
                tooBig: () => new BadmxError(`standard input: larger than the ${formatLimit(TLSRPT_LIMITS.input)} limit of a TLS report`, 'ETLSRPT'),
              }),
              { label: 'standard input' },
            ) : readTlsReportFile(file);
      io.stdout.write(flags.format === 'json' ? `${JSON.stringify(read, null, 2)}\n` : `${formatTlsReports(read)}\n`);
    });
}

/** The reports as text: where they came from, one row per policy, then every failure kind, most sessions first. Report text is peer data: made printable. */
export function formatTlsReports(read: TlsReportsRead): string {
  const rows = summarizeTlsReports(read.reports);
  const cell = (text: string): string => printable(text, 120);
  const lines: string[] = [];
  const from = [
    `${read.reports.length} report${read.reports.length === 1 ? '' : 's'} from ${read.source === 'mail' ? 'a mail' : read.source === 'gzip' ? 'gzipped JSON' : 'JSON'}`,
    read.reportDomain === null ? null : `TLS-Report-Domain: ${cell(read.reportDomain)}`,
    read.submitter === null ? null : `TLS-Report-Submitter: ${cell(read.submitter)}`,
  ];
  lines.push(from.filter(Boolean).join(', '), '');
  lines.push(
    formatTable(
      ['organization', 'report-id', 'period (UTC)', 'policy domain', 'type', 'successful', 'failed'],
      rows.map((row) => [
        cell(row.organization),
        cell(row.reportId),
        `${cell(row.start)} .. ${cell(row.end)}`,
        cell(row.policyDomain),
        row.policyType,
        String(row.successful),
        String(row.failed),
      ]),
    ),
  );
  const failures = rows.flatMap((row) =>
    row.failures.map((f) => [
      cell(row.policyDomain),
      `${cell(f.resultType)}${f.known ? '' : ' (not an RFC 8460 result type)'}`,
      String(f.count),
      f.receivingMxHostname === undefined ? '-' : cell(f.receivingMxHostname),
    ]),
  );
  lines.push('');
  lines.push(failures.length === 0 ? 'no failures reported' : formatTable(['policy domain', 'result type', 'sessions', 'receiving MX'], failures));
  return lines.join('\n');
}
