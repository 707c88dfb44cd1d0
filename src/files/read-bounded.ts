import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { BadmxError } from '../errors.js';
import { oneLine } from '../text/one-line.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * How much badmx reads of each kind of file a user gives it, at most. Every limit is far
 * above what a real file of that kind holds and far below what would hurt the machine: a
 * path that points at /dev/zero, a log, or a disk image is one line of error, not a
 * process that grows until the kernel kills it.
 */
export const READ_LIMITS = {
  /** The public-mode configuration (`--config`): a real one is under 1 KiB. */
  config: 1 * MiB,
  /** A PEM certificate chain or private key (`--cert`, `--key`, config `certificate`, `ca=`): a chain is a few KiB; the whole Mozilla root bundle is about 220 KiB. */
  pem: 1 * MiB,
  /** A policy JSON file (`--policy FILE`): the built-in ones are under 2 KiB. */
  policy: 1 * MiB,
  /** One receiver profile (`--receivers DIR`, each *.json): the built-in ones are under 1 KiB each. */
  profile: 256 * KiB,
  /**
   * A saved run.json (`badmx report`): the demo's is about 90 KiB and a reference run
   * over every sender about 340 KiB, so 64 MiB is some 200 times the largest real one,
   * while parsing and validating it stays well inside Node's default heap (a 256 MiB
   * document of small objects already takes some 1.6 GB to parse).
   */
  runDocument: 64 * MiB,
  /**
   * The run journal (`run --resume`, `badmx status`): badmx itself appends to it for the
   * hours a run lasts, one line per submission, attempt and step, and across resumes. A
   * run whose journal outgrew the limit could no longer be resumed, so the limit is
   * generous: some thousand times a large run's, and still a bounded read.
   */
  journal: 256 * MiB,
} as const;

/** Why a file could not be read: `reason` is a few words for the end of a one-line message. */
export class ReadBoundedError extends BadmxError {
  readonly file: string;
  readonly reason: string;
  /** `ETOOBIG` when the file is over the limit, `ENOTREG` when it is not a regular file, else the system error code. */
  readonly systemCode: string;

  constructor(file: string, reason: string, systemCode: string) {
    super(`${file}: ${reason}`, 'EINPUT');
    this.name = 'ReadBoundedError';
    this.file = file;
    this.reason = reason;
    this.systemCode = systemCode;
  }
}

/** 1048576 → "1 MiB", 262144 → "256 KiB". */
export function formatLimit(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/** The first read's buffer, unless the file says it is smaller: files usually are small. */
const FIRST_CHUNK = 64 * KiB;

/**
 * Read a user's file as UTF-8 text, never holding more than `limit` + 1 bytes of it. The
 * file is opened once and everything is decided on that descriptor (no check-then-read
 * race): fstat first, so that something other than a regular file (/dev/zero, a FIFO, a
 * terminal, a socket) is refused without reading it; then at most `limit` + 1 bytes are
 * read, whatever fstat said the size was (a file may grow meanwhile, and /proc files say 0).
 *
 * O_NONBLOCK makes opening a FIFO that has no writer return at once instead of hanging
 * (it is refused right after); on a regular file it changes nothing. O_NOCTTY keeps a
 * terminal device from becoming the process's controlling terminal.
 *
 * Any problem is a ReadBoundedError whose `reason` the caller puts in its own one-line
 * message naming the file.
 */
export function readBounded(file: string, limit: number): string {
  return readBoundedBytes(file, limit).toString('utf8');
}

/** readBounded for bytes rather than UTF-8 text (a gzip is not text): the same checks, the same bound. */
export function readBoundedBytes(file: string, limit: number): Buffer {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number of bytes, not ${limit}`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw systemError(file, error);
  }
  try {
    let stat: Stats;
    try {
      stat = fstatSync(fd);
    } catch (error) {
      throw systemError(file, error);
    }
    if (stat.isDirectory()) throw new ReadBoundedError(file, 'is a directory', 'EISDIR');
    if (!stat.isFile()) throw new ReadBoundedError(file, `is ${fileKind(stat)}, not a regular file`, 'ENOTREG');
    if (stat.size > limit) throw tooBig(file, limit);

    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(stat.size + 1, FIRST_CHUNK)));
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

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'something';
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
    // open(2) on a UNIX socket, or a device with nothing behind it
    ENXIO: 'not a regular file',
  };
  return new ReadBoundedError(file, reasons[code] ?? oneLine((error as Error).message ?? code), code);
}

