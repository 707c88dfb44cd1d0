import { appendFileSync, chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    expect(second.append({ type: 'close', profile: 'a', conn: '3' })?.seq).toBe(3);
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
    expect(again.append({ type: 'close', profile: 'a', conn: '2' })?.seq).toBe(2);
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

describe('event log size cap', () => {
  it('writes one log-full event at the cap, then only evidence', () => {
    const file = tempLog();
    const log = new EventLog(file, { maxBytes: 2_000 });
    let written = 0;
    for (let i = 0; i < 40; i++) {
      if (log.append({ type: 'command', profile: 'tls1.2', conn: 'c1', verb: 'NOOP', line: 'NOOP' })) written += 1;
    }
    expect(written).toBeGreaterThan(5);
    expect(written).toBeLessThan(40);
    expect(log.full).toBe(true);
    expect(log.dropped).toBe(40 - written);
    const atCap = statSync(file).size;
    expect(atCap).toBeLessThanOrEqual(2_000 + 200);
    // Evidence still goes in; routine events, errors and summaries do not.
    expect(log.append({ type: 'reply', profile: 'tls1.2', conn: 'c1', code: 250, text: 'OK' })).toBeNull();
    expect(log.append({ type: 'error', profile: 'tls1.2', conn: 'c1', code: null, message: 'x' })).toBeNull();
    expect(log.append({ type: 'helo', profile: 'tls1.2', conn: 'c1', verb: 'EHLO', name: 'late.example' })).not.toBeNull();
    expect(log.append({ type: 'close', profile: 'tls1.2', conn: 'c1' })).not.toBeNull();
    log.close();
    const { events } = readEventLog(file);
    const full = events.filter((e) => e.type === 'log-full');
    expect(full).toEqual([expect.objectContaining({ profile: '', conn: '', maxBytes: 2_000 })]);
    expect(events.slice(-3).map((e) => e.type)).toEqual(['log-full', 'helo', 'close']);
    // seq stays gapless: what was not written got none
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('an evidence event that crosses the cap is written, after the log-full event', () => {
    const file = tempLog();
    const log = new EventLog(file, { maxBytes: 150 });
    expect(log.append({ type: 'close', profile: 'a', conn: '1' })).not.toBeNull();
    expect(log.append({ type: 'close', profile: 'a', conn: '2' })).not.toBeNull();
    log.close();
    expect(readEventLog(file).events.map((e) => e.type)).toEqual(['close', 'log-full', 'close']);
  });

  it('counts what an existing log already holds', () => {
    const file = tempLog();
    const first = new EventLog(file);
    for (let i = 0; i < 20; i++) first.append({ type: 'close', profile: 'a', conn: String(i) });
    first.close();
    const second = new EventLog(file, { maxBytes: statSync(file).size + 10 });
    expect(second.append({ type: 'reply', profile: 'a', conn: 'x', code: 250, text: 'OK' })).toBeNull();
    expect(second.full).toBe(true);
    second.close();
  });
});

describe('event log permissions', () => {
  it('creates its file 0600 and its own directory 0700, whatever the umask allows', () => {
    const base = mkdtempSync(join(tmpdir(), 'badmx-log-'));
    chmodSync(base, 0o755);
    const file = join(base, 'reports', 'serve-x', 'events.jsonl');
    const previous = process.umask(0o022);
    try {
      const log = new EventLog(file);
      log.append({ type: 'close', profile: 'a', conn: '1' });
      log.close();
      expect(log.createdDir).toBe(join(base, 'reports', 'serve-x'));
    } finally {
      process.umask(previous);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(base, 'reports', 'serve-x')).mode & 0o777).toBe(0o700);
    // A parent it had to create is not the log's own: a shared reports/ keeps the usual mode.
    expect(statSync(join(base, 'reports')).mode & 0o777).toBe(0o755);
  });

  it('leaves an existing directory alone, and narrows an existing log of its own to 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-log-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    const log = new EventLog(file);
    log.close();
    expect(log.createdDir).toBeNull();
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never changes the mode of a device it writes to', () => {
    const before = statSync('/dev/full').mode;
    new EventLog('/dev/full').close();
    expect(statSync('/dev/full').mode).toBe(before);
  });
});

describe('event logs of any size', () => {
  it('reads a log larger than one read block (16 MiB), lines straddling the blocks included', () => {
    const file = tempLog();
    const log = new EventLog(file);
    const line = 'x'.repeat(1_000);
    const count = 20_000; // ~21 MB
    for (let i = 0; i < count; i++) log.append({ type: 'command', profile: 'a', conn: String(i), verb: 'NOOP', line });
    log.close();
    expect(statSync(file).size).toBeGreaterThan(16 * 1024 * 1024);
    const { events, damaged } = readEventLog(file);
    expect(damaged).toEqual([]);
    expect(events).toHaveLength(count);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });

  it('continues the numbering from the end of the log, past a torn line and a last event longer than a read-back block', () => {
    const file = tempLog();
    const log = new EventLog(file);
    for (let i = 0; i < 5; i++) log.append({ type: 'close', profile: 'a', conn: String(i) });
    // a 200 KB event last (a data event's header section can be 64 KiB escaped up to 4 times)
    log.append({ type: 'command', profile: 'a', conn: 'long', verb: 'X', line: 'y'.repeat(200_000) });
    log.close();
    appendFileSync(file, '{"seq":7,"time":"2026-');
    const again = new EventLog(file);
    expect(again.append({ type: 'close', profile: 'a', conn: 'next' })?.seq).toBe(7);
    again.close();
  });

  it('a log of nothing but damage starts at 1', () => {
    const file = tempLog();
    appendFileSync(file, 'not json\nnor this\n');
    const log = new EventLog(file);
    expect(log.append({ type: 'close', profile: 'a', conn: '1' })?.seq).toBe(1);
    log.close();
    expect(readEventLog(file).damaged.map((d) => d.line)).toEqual([1, 2]);
  });
});
