import { BadmxError } from '../errors.js';
import { displayPath } from '../files/load-json-file.js';
import { ReadBoundedError, readBoundedBytes } from '../files/read-bounded.js';
import { readTlsReports, TLSRPT_LIMITS, type ReadTlsReportsOptions, type TlsReportsRead } from './read-tlsrpt.js';

/**
 * A TLS report from a file a user names: a .json, a .json.gz, or a saved mail (.eml).
 * Unreadable files are `<file>: cannot read it (<why>)` (EINPUT), as every file badmx reads
 * is (load-json-file.ts); what is in the file is readTlsReports' to judge.
 */
export function readTlsReportFile(file: string, options: ReadTlsReportsOptions = {}): TlsReportsRead {
  const label = options.label ?? displayPath(file);
  const limit = options.maxInputBytes ?? TLSRPT_LIMITS.input;
  let bytes: Buffer;
  try {
    bytes = readBoundedBytes(file, limit);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`${label}: cannot read it (${error.reason})`, 'EINPUT', { cause: error });
  }
  return readTlsReports(bytes, { ...options, label, maxInputBytes: limit });
}
