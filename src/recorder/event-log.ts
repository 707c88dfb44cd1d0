import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventInput, ReceiverEvent } from './events.js';

export type EventListener = (event: ReceiverEvent) => void;

/**
 * Append-only JSON Lines log of receiver events.
 *
 * Each event is written with one write(2) on a file opened with O_APPEND as soon as it
 * happens, never buffered in the process: if badmx crashes or is killed, every event
 * it had seen is already in the file (the kernel owns it from then on). One line per
 * event, so a partly written last line can only be the one being written at the crash,
 * and readEventLog() drops just that line.
 */
export class EventLog {
  readonly file: string;
  #fd: number | null;
  #seq = 0;
  readonly #listeners = new Set<EventListener>();
  /** Called when an event could not be written (disk full, file removed); recording goes on. */
  onWriteError: ((error: Error) => void) | null = null;
  /** Events that could not be written. */
  lost = 0;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    // Continue the numbering of an existing log so that seq stays unique in it.
    this.#seq = lastSeq(file);
    this.#fd = openSync(file, 'a', 0o644);
  }

  append(input: EventInput): ReceiverEvent {
    // Fixed leading keys keep the log readable with grep and jq: seq, time, profile, conn, type, then the details.
    const head = { seq: ++this.#seq, time: new Date().toISOString(), profile: input.profile, conn: input.conn, type: input.type };
    const event: ReceiverEvent = Object.assign(head, input);
    if (this.#fd !== null) {
      try {
        writeSync(this.#fd, `${JSON.stringify(event)}\n`);
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
    return event;
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

export interface ReadResult {
  events: ReceiverEvent[];
  /** Lines that could not be parsed, with their line numbers (a torn last line after a crash, or damage). */
  damaged: { line: number; text: string }[];
}

/** Read a log written by EventLog, keeping every line that parses. */
export function readEventLog(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], damaged: [] };
    throw error;
  }
  const events: ReceiverEvent[] = [];
  const damaged: ReadResult['damaged'] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      const value: unknown = JSON.parse(line);
      if (isEvent(value)) {
        events.push(value);
        return;
      }
    } catch {
      // fall through: recorded as damaged
    }
    damaged.push({ line: index + 1, text: line.slice(0, 200) });
  });
  return { events, damaged };
}

function isEvent(value: unknown): value is ReceiverEvent {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.seq === 'number' && typeof record.type === 'string' && typeof record.time === 'string';
}

function lastSeq(file: string): number {
  // Only a regular file has earlier events to continue from (the log may also be a pipe or a device).
  try {
    if (!statSync(file).isFile()) return 0;
  } catch {
    return 0;
  }
  const { events } = readEventLog(file);
  return events.reduce((max, event) => Math.max(max, event.seq), 0);
}
