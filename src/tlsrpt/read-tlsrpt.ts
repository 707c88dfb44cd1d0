import { gunzipSync } from 'node:zlib';
import { BadmxError } from '../errors.js';
import { parseJson, JsonInputError } from '../files/parse-json.js';
import { formatLimit } from '../files/read-bounded.js';
import { printable } from '../text/printable.js';
import { decodeBody, fieldValue, looksLikeMessage, mimeLeaves, parseContentType, type MimeLeaf } from './mime-parts.js';
import { validateTlsReport, type TlsReport } from './tlsrpt-schema.js';

const MiB = 1024 * 1024;

/**
 * How much of a TLS report badmx reads. A real report is a few KiB of JSON (one line per
 * kind of failure, not per session), so both limits are far above any real one; they are
 * there so that a hostile input (a gzip bomb, a mail of /dev/zero) is one line of error.
 */
export const TLSRPT_LIMITS = {
  /** The input as given: JSON, gzip or a whole mail message (base64 makes an attachment a third larger). */
  input: 10 * MiB,
  /** The report JSON once decompressed and decoded, all the reports of one input together. */
  report: 8 * MiB,
} as const;

export interface ReadTlsReportsOptions {
  /** How the input is named in errors, e.g. its file name; default "TLS report". */
  label?: string;
  /** Default TLSRPT_LIMITS.input. */
  maxInputBytes?: number;
  /** Default TLSRPT_LIMITS.report. */
  maxReportBytes?: number;
}

export interface TlsReportsRead {
  /** The reports, each validated (tlsrpt-schema.ts): one for JSON or gzip, one per report part of a mail. */
  reports: TlsReport[];
  /** What the input was: the report JSON (RFC 8460 §5.4 application/tlsrpt+json), gzipped JSON (application/tlsrpt+gzip), or a mail (§5.3). */
  source: 'json' | 'gzip' | 'mail';
  /** A mail's TLS-Report-Domain field (RFC 8460 §5.3): the Policy Domain the report is about; null when absent or not a mail. */
  reportDomain: string | null;
  /** A mail's TLS-Report-Submitter field (§5.3): the domain of the reporting organization; null when absent or not a mail. */
  submitter: string | null;
}

/** The media types of a report (RFC 8460 §5.3, registered in §6). */
export const TLSRPT_MEDIA_TYPES = ['application/tlsrpt+json', 'application/tlsrpt+gzip'] as const;

/**
 * Read the TLS reports in `bytes`, whatever form they arrived in:
 * - JSON, as an HTTPS POST of application/tlsrpt+json carries it (RFC 8460 §5.4);
 * - gzip (RFC 1952), as application/tlsrpt+gzip, a POST or a saved .json.gz attachment (§5.2, §5.3);
 * - a mail message (§5.3): multipart/report; report-type="tlsrpt" with an application/tlsrpt+json
 *   or application/tlsrpt+gzip part, at any depth of nested multiparts, or a message whose own
 *   Content-Type is one of those.
 * The form is told from the bytes (the gzip magic number, a JSON object, a header field), not
 * from a file name, so a POST body and a saved file read the same.
 *
 * Every problem is a BadmxError with code ETLSRPT and one line naming what to fix:
 * `<label>: part 2 (application/tlsrpt+gzip): not a valid gzip stream (unexpected end of file)`,
 * `<label>: policies[0].summary.total-failure-session-count: must be a non-negative integer, not -1`.
 */
export function readTlsReports(bytes: Uint8Array, options: ReadTlsReportsOptions = {}): TlsReportsRead {
  const label = options.label ?? 'TLS report';
  const maxInput = options.maxInputBytes ?? TLSRPT_LIMITS.input;
  const budget = { left: options.maxReportBytes ?? TLSRPT_LIMITS.report, limit: options.maxReportBytes ?? TLSRPT_LIMITS.report };
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (input.length > maxInput) throw new BadmxError(`${label}: larger than the ${formatLimit(maxInput)} limit of a TLS report`, 'ETLSRPT');
  if (input.length === 0) throw new BadmxError(`${label}: empty (give a TLS report: JSON, gzip, or the mail that carried it)`, 'ETLSRPT');

  if (isGzip(input)) return { reports: [reportFrom(input, label, budget)], source: 'gzip', reportDomain: null, submitter: null };
  const start = firstSignificantByte(input);
  if (start === 0x7b /* { */ || start === 0x5b /* [ */) {
    return { reports: [reportFrom(input, label, budget)], source: 'json', reportDomain: null, submitter: null };
  }
  const text = input.toString('latin1');
  if (!looksLikeMessage(text)) {
    throw new BadmxError(
      `${label}: neither JSON, gzip nor a mail message (it starts with "${printable(text.slice(0, 24), 24)}"); give a TLS report as RFC 8460 §5 sends it`,
      'ETLSRPT',
    );
  }
  return readMail(text, label, budget);
}

function readMail(text: string, label: string, budget: Budget): TlsReportsRead {
  const { fields, leaves } = mimeLeaves(text, label);
  const reportParts = leaves.filter((leaf) => (TLSRPT_MEDIA_TYPES as readonly string[]).includes(leaf.mediaType));
  if (reportParts.length === 0) {
    const top = parseContentType(fieldValue(fields, 'Content-Type'));
    const reportType = top.params['report-type'];
    const what = `${top.mediaType}${reportType === undefined ? '' : `; report-type=${reportType}`}`;
    throw new BadmxError(
      `${label}: a mail (${printable(what, 80)}) with no TLS report in it: RFC 8460 §5.3 puts one in an application/tlsrpt+json or application/tlsrpt+gzip part`,
      'ETLSRPT',
    );
  }
  const reports = reportParts.map((leaf) => {
    const where = leaf.path === '' ? `${label}: its body (${leaf.mediaType})` : `${label}: part ${leaf.path} (${leaf.mediaType})`;
    return reportFrom(decodeBody(leaf, where), where, budget, leaf);
  });
  return { reports, source: 'mail', reportDomain: fieldValue(fields, 'TLS-Report-Domain'), submitter: fieldValue(fields, 'TLS-Report-Submitter') };
}

interface Budget {
  /** Bytes of report JSON still allowed. */
  left: number;
  /** The whole allowance, for messages. */
  limit: number;
}

/**
 * One report from its bytes: gunzipped when they are gzip (whatever the part was labelled:
 * the bytes say what they are), then UTF-8 (RFC 8460's media types refer to I-JSON, RFC 7493,
 * whose §2.1 requires it),
 * then JSON no deeper than parse-json.ts allows, then the schema.
 */
function reportFrom(bytes: Buffer, where: string, budget: Budget, leaf?: MimeLeaf): TlsReport {
  let json = bytes;
  if (isGzip(bytes)) {
    json = gunzip(bytes, where, budget);
  } else if (leaf?.mediaType === 'application/tlsrpt+gzip') {
    throw new BadmxError(`${where}: not gzip (it does not start with the gzip magic number 1f 8b)`, 'ETLSRPT');
  }
  if (json.length > budget.left) {
    throw new BadmxError(`${where}: the report JSON is larger than the ${formatLimit(budget.limit)} limit`, 'ETLSRPT');
  }
  budget.left -= json.length;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new BadmxError(`${where}: the report is not UTF-8 (RFC 8460 reports are I-JSON, RFC 7493)`, 'ETLSRPT');
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonInputError)) throw error;
    throw new BadmxError(`${where}: ${error.message}`, 'ETLSRPT', { cause: error });
  }
  return validateTlsReport(raw, where);
}

/**
 * gunzip with the output bounded by what the budget has left: zlib stops and throws as soon
 * as the output would pass it, so a gzip bomb costs at most the limit, never its full size.
 * Concatenated gzip members (RFC 1952 §2.2) are read as one stream, as gzip(1) does.
 */
function gunzip(bytes: Buffer, where: string, budget: Budget): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, budget.left) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new BadmxError(`${where}: the gzip expands to more than the ${formatLimit(budget.limit)} limit of a report`, 'ETLSRPT', { cause: error });
    }
    const why = (error as Error).message || code || 'unreadable';
    throw new BadmxError(`${where}: not a valid gzip stream (${printable(why, 80)})`, 'ETLSRPT', { cause: error });
  }
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The first byte that is not JSON white space (RFC 8259 §2) nor part of a UTF-8 byte-order mark. */
function firstSignificantByte(bytes: Buffer): number | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i];
}
