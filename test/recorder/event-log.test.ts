import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog, readEventLog } from '../../src/recorder/event-log.js';

function tempLog(): string {
  return join(mkdtempSync(join(tmpdir(), 'badmx-log-')), 'events.jsonl');
}

describe('event log', () => {
  it('writes each event to the file as it is appended, before close', () => {
    const file = tempLog();
    const log = new EventLog(file);
    log.append({ type: 'close', profile: 'tls1.2', conn: 'c1' });
    // read with a fresh descriptor while the log is still open: nothing is buffered in the process
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, profile: 'tls1.2', conn: 'c1', type: 'close' });
    expect(Object.keys(JSON.parse(lines[0]!) as object).slice(0, 5)).toEqual(['seq', 'time', 'profile', 'conn', 'type']);
    log.close();
  });

  it('appends to an existing log and continues its numbering', () => {
    const file = tempLog();
    const first = new EventLog(file);
    first.append({ type: 'close', profile: 'a', conn: '1' });
    first.append({ type: 'close', profile: 'a', conn: '2' });
    first.close();
    const second = new EventLog(file);
    expect(second.append({ type: 'close', profile: 'a', conn: '3' }).seq).toBe(3);
    second.close();
    expect(readEventLog(file).events.map((e) => e.conn)).toEqual(['1', '2', '3']);
  });

  it('reading keeps every intact line and reports a torn last line (a crash mid-write)', () => {
    const file = tempLog();
    const log = new EventLog(file);
    log.append({ type: 'close', profile: 'a', conn: '1' });
    log.close();
    appendFileSync(file, '{"seq":2,"time":"2026-');
    const { events, damaged } = readEventLog(file);
    expect(events).toHaveLength(1);
    expect(damaged).toEqual([{ line: 2, text: '{"seq":2,"time":"2026-' }]);
    // and a new writer still numbers after the intact events
    const again = new EventLog(file);
    expect(again.append({ type: 'close', profile: 'a', conn: '2' }).seq).toBe(2);
    again.close();
  });

  it('notifies subscribers, and a throwing subscriber costs nothing', () => {
    const log = new EventLog(tempLog());
    const seen: string[] = [];
    log.subscribe(() => {
      throw new Error('broken display');
    });
    const stop = log.subscribe((e) => seen.push(e.conn));
    log.append({ type: 'close', profile: 'a', conn: 'x' });
    stop();
    log.append({ type: 'close', profile: 'a', conn: 'y' });
    expect(seen).toEqual(['x']);
    expect(readEventLog(log.file).events).toHaveLength(2);
    log.close();
  });

  it('a missing log reads as empty', () => {
    expect(readEventLog('/nonexistent/events.jsonl')).toEqual({ events: [], damaged: [] });
  });
});

describe('event log on a failing disk', () => {
  it('a write error is reported once and never thrown (/dev/full answers ENOSPC)', () => {
    const log = new EventLog('/dev/full');
    const errors: string[] = [];
    log.onWriteError = (error) => errors.push((error as NodeJS.ErrnoException).code ?? '');
    expect(() => {
      log.append({ type: 'close', profile: 'a', conn: '1' });
      log.append({ type: 'close', profile: 'a', conn: '2' });
    }).not.toThrow();
    expect(errors).toEqual(['ENOSPC']);
    expect(log.lost).toBe(2);
    log.close();
  });
});
