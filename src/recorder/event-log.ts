import { closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVIDENCE_EVENT_TYPES, type EventInput, type ReceiverEvent } from './events.js';

export type EventListener = (event: ReceiverEvent) => void;

/** Owner-only: the log holds what senders sent (addresses, header sections, whatever a vendor leaks). */
const LOG_FILE_MODE = 0o600;
const LOG_DIR_MODE = 0o700;

export interface EventLogOptions {
  /**
   * Size cap of the log file, in bytes (limits.maxEventLogBytes). When an event would take
   * the file past it, one `log-full` event is written and from then on only evidence
   * (EVIDENCE_EVENT_TYPES); the rest is counted in `dropped`. Default: no cap.
   */
  maxBytes?: number;
}

/**
 * Append-only JSON Lines log of receiver events.
 *
 * Each event is written with one write(2) on a file opened with O_APPEND as soon as it
 * happens, never buffered in the process: if badmx crashes or is killed, every event
 * it had seen is already in the file (the kernel owns it from then on). One line per
 * event, so a partly written last line can only be the one being written at the crash,
 * and readEventLog() drops just that line.
 *
 * The file is created 0600 and, when the log creates it, its directory 0700: events hold
 * what senders sent. A log file of ours found with wider permissions is narrowed to 0600.
 */
export class EventLog {
  readonly file: string;
  /**
   * The directory this log created for itself (mode 0700), or null when it existed: who
   * drops privileges after opening the log (--run-as) must hand it over, or the messages
   * stored in it could not be reached.
   */
  readonly createdDir: string | null;
  readonly maxBytes: number;
  #fd: number | null;
  #seq = 0;
  /** Bytes in the file: what was there when opened, plus what this log wrote. */
  #bytes = 0;
  #full = false;
  readonly #listeners = new Set<EventListener>();
  /** Called when an event could not be written (disk full, file removed); recording goes on. */
  onWriteError: ((error: Error) => void) | null = null;
  /** Events that could not be written. */
  lost = 0;
  /** Events not written because the log is full (only evidence is, then). */
  dropped = 0;

  constructor(file: string, options: EventLogOptions = {}) {
    this.file = file;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.createdDir = makeOwnDirectory(dirname(file));
    // Continue the numbering of an existing log so that seq stays unique in it.
    this.#seq = lastSeq(file);
    this.#fd = openSync(file, 'a', LOG_FILE_MODE);
    const stat = fstatSync(this.#fd);
    // Only a regular file has a size to cap and a mode to narrow (the log may also be a pipe or a device).
    if (stat.isFile()) {
      this.#bytes = stat.size;
      if ((stat.mode & 0o077) !== 0 && stat.uid === process.geteuid?.()) fchmodSync(this.#fd, LOG_FILE_MODE);
    }
  }

  /** Whether the log reached its size cap: only evidence is written now. */
  get full(): boolean {
    return this.#full;
  }

  /**
   * Write an event (and tell the subscribers); null when it was not written because the
   * log is full and it is not evidence.
   */
  append(input: EventInput): ReceiverEvent | null {
    const evidence = EVIDENCE_EVENT_TYPES.has(input.type);
    if (this.#full && !evidence) {
      this.dropped += 1;
      return null;
    }
    let line = this.#line(input);
    if (!this.#full && this.#bytes + Buffer.byteLength(line.text) > this.maxBytes) {
      // Said once, in the log itself, where whoever reads it finds it.
      this.#full = true;
      const notice = this.#line({ type: 'log-full', profile: '', conn: '', maxBytes: this.maxBytes, bytes: this.#bytes });
      this.#write(notice.event, notice.text);
      if (!evidence) {
        this.dropped += 1;
        return null;
      }
      line = this.#line(input);
    }
    this.#write(line.event, line.text);
    return line.event;
  }

  #line(input: EventInput): { event: ReceiverEvent; text: string } {
    // Fixed leading keys keep the log readable with grep and jq: seq, time, profile, conn, type, then the details.
    const head = { seq: this.#seq + 1, time: new Date().toISOString(), profile: input.profile, conn: input.conn, type: input.type };
    const event: ReceiverEvent = Object.assign(head, input);
    return { event, text: `${JSON.stringify(event)}\n` };
  }

  #write(event: ReceiverEvent, text: string): void {
    this.#seq = event.seq;
    if (this.#fd !== null) {
      try {
        this.#bytes += writeSync(this.#fd, text);
      } catch (error) {
        // A failing disk must not take the receivers (and the senders' sessions) down with it.
        this.lost += 1;
        if (this.lost === 1) this.onWriteError?.(error as Error);
      }
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing observer (a progress display, say) must never cost us the recording.
      }
    }
  }

  /** Observe events as they are appended; returns a function that stops observing. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    if (this.#fd !== null) {
      closeSync(this.#fd);
      this.#fd = null;
    }
    this.#listeners.clear();
  }
}

/**
 * Create the log's directory owner-only, its parents as usual (a shared `reports/` is not
 * the log's to close); returns it if created here, null if it existed.
 */
function makeOwnDirectory(dir: string): string | null {
  if (existsSync(dir)) return null;
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: LOG_DIR_MODE });
    return dir;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
}

export interface ReadResult {
  events: ReceiverEvent[];
  /** Lines that could not be parsed, with their line numbers (a torn last line after a crash, or damage). */
  damaged: { line: number; text: string }[];
}

/** The log is read in blocks of this size, so its size is not bounded by the longest string V8 can make (512 MiB). */
const READ_BLOCK_BYTES = 16 * 1024 * 1024;
/** No event is anywhere near this long (a header section is kept to 64 KiB): a longer line is damage, reported, not decoded. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** Read a log written by EventLog, keeping every line that parses. */
export function readEventLog(file: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], damaged: [] };
    throw error;
  }
  const events: ReceiverEvent[] = [];
  const damaged: ReadResult['damaged'] = [];
  let lineNumber = 0;
  const take = (line: Buffer): void => {
    lineNumber += 1;
    if (line.length > MAX_LINE_BYTES) {
      damaged.push({ line: lineNumber, text: line.toString('utf8', 0, 200) });
      return;
    }
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    const event = parseEvent(text);
    if (event) events.push(event);
    else damaged.push({ line: lineNumber, text: text.slice(0, 200) });
  };
  try {
    const block = Buffer.allocUnsafe(READ_BLOCK_BYTES);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, block, 0, block.length, null);
      if (read === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, read)]) : block.subarray(0, read);
      let start = 0;
      for (let end = data.indexOf(0x0a, start); end !== -1; end = data.indexOf(0x0a, start)) {
        take(data.subarray(start, end));
        start = end + 1;
      }
      // The block is reused: what is left of the last line is copied.
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) take(carry);
  } finally {
    closeSync(fd);
  }
  return { events, damaged };
}

function parseEvent(line: string): ReceiverEvent | null {
  try {
    const value: unknown = JSON.parse(line);
    return isEvent(value) ? value : null;
  } catch {
    return null;
  }
}

function isEvent(value: unknown): value is ReceiverEvent {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.seq === 'number' && typeof record.type === 'string' && typeof record.time === 'string';
}

/** How far back from its end an existing log is read, at a time, for the seq of its last intact event. */
const TAIL_BLOCK_BYTES = 64 * 1024;

/**
 * The seq of the last intact event of an existing log (events are appended in seq order),
 * read from its end: opening a log of any size costs the same.
 */
function lastSeq(file: string): number {
  // Only a regular file has earlier events to continue from (the log may also be a pipe or a device).
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return 0;
    size = stat.size;
  } catch {
    return 0;
  }
  const fd = openSync(file, 'r');
  try {
    let position = size;
    // Bytes from `position` to the end not yet looked at: a partial first line, waiting for the block before it.
    let tail: Buffer = Buffer.alloc(0);
    while (position > 0) {
      const length = Math.min(TAIL_BLOCK_BYTES, position);
      position -= length;
      const block = Buffer.alloc(length);
      readSync(fd, block, 0, length, position);
      tail = Buffer.concat([block, tail]);
      // Whole lines only: everything after the first newline (or everything, at the start of the file).
      const first = position > 0 ? tail.indexOf(0x0a) : -1;
      if (position > 0 && first === -1) continue;
      const lines = tail.subarray(first + 1).toString('utf8').split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        const event = parseEvent(lines[i] ?? '');
        if (event) return event.seq;
      }
      tail = tail.subarray(0, first + 1);
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
