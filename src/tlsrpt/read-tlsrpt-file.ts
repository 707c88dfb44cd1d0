import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BadmxError } from '../errors.js';
import { displayPath } from '../files/load-json-file.js';
import { formatLimit, ReadBoundedError } from '../files/read-bounded.js';
import { oneLine } from '../text/one-line.js';
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

/**
 * files/read-bounded.ts's readBounded, for bytes rather than UTF-8 text (a gzip is not
 * text): one descriptor, fstat first so that only a regular file is read, and never more than
 * `limit` + 1 bytes, whatever fstat said. Problems are ReadBoundedErrors, as there.
 */
export function readBoundedBytes(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw systemError(file, error);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ReadBoundedError(file, 'is a directory', 'EISDIR');
    if (!stat.isFile()) throw new ReadBoundedError(file, 'not a regular file', 'ENOTREG');
    if (stat.size > limit) throw tooBig(file, limit);
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(stat.size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw systemError(file, error);
      }
      if (read === 0) break;
      length += read;
    }
    if (length > limit) throw tooBig(file, limit);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function tooBig(file: string, limit: number): ReadBoundedError {
  return new ReadBoundedError(file, `larger than the ${formatLimit(limit)} limit`, 'ETOOBIG');
}

function systemError(file: string, error: unknown): ReadBoundedError {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many levels of symbolic links',
    ENXIO: 'not a regular file',
  };
  return new ReadBoundedError(file, reasons[code] ?? oneLine((error as Error).message ?? code), code);
}
