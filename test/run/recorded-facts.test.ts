import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProbe, probeMessage } from '../../src/probes/probe.js';
import { mailboxDomain } from '../../src/profiles/mailbox.js';
import type { DataEvent } from '../../src/recorder/events.js';
import { MAX_BOUNCES_PER_PROBE } from '../../src/run/bounce-evidence.js';
import { MAX_DELIVERIES_READ, readRecordedFacts } from '../../src/run/recorded-facts.js';

/**
 * What judging reads of the message store: each delivered probe's Received chain and each
 * notification about a probe, read one message at a time, kept parsed. Written as the
 * receivers write it: an event log and messages/ beside it.
 */
const ZONE = 'badmx.test';
const MAILBOX = mailboxDomain(ZONE);
const BOUNCES = join(import.meta.dirname, '../evidence/fixtures/bounces');
const STAMP = 'Received: from relay.example (relay.example [192.0.2.1]) by mx.tls1-2.badmx.test with ESMTPS (TLS1.3) id 1; Mon, 30 Nov 2026 12:00:00 +0000';

function runDir(): { dir: string; events: DataEvent[]; store: (name: string, content: string) => string; write: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-facts-'));
  mkdirSync(join(dir, 'messages'));
  const events: DataEvent[] = [];
  return {
    dir,
    events,
    store: (name, content) => {
      writeFileSync(join(dir, 'messages', name), content);
      return join('messages', name);
    },
    write: () => {
      const file = join(dir, 'events.jsonl');
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return file;
    },
  };
}

function data(seq: number, file: string, rcptTo: string[], messageId: string | null = null): DataEvent {
  const time = new Date(Date.UTC(2026, 10, 30, 12, 0, seq)).toISOString();
  return { seq, time, profile: 'tls1.2', conn: `c${seq}`, type: 'data', accepted: true, reply: 250, messageId, mailFrom: null, rcptTo, size: 100, headers: '', received: null, file, tls: true };
}

describe('readRecordedFacts', () => {
  const probe = makeProbe('run1', 1, 'smtp:relay', 'tls1.2', ZONE);

  it("a delivery that also carries mail for the probes' domain keeps its Received chain", () => {
    const run = runDir();
    const file = run.store('both.eml', `${STAMP}\r\n${probeMessage(probe)}`);
    run.events.push(data(1, file, [probe.recipient, `postmaster@${MAILBOX}`], probe.messageId));
    const facts = readRecordedFacts({ eventsFile: run.write(), startedAt: '2026-01-01T00:00:00.000Z', probes: [probe], mailboxDomain: MAILBOX });
    expect(facts.receivedChains.get(file)?.map((hop) => hop.by.host)).toEqual(['mx.tls1-2.badmx.test']);
  });

  it('auto-replies to a probe do not use up its notifications: a real one after many is read', () => {
    const run = runDir();
    for (let i = 1; i <= MAX_BOUNCES_PER_PROBE + 2; i++) {
      const file = join('messages', `reply-${i}.eml`);
      copyFileSync(join(BOUNCES, 'not-bounce-plain.eml'), join(run.dir, file));
      run.events.push(data(i, file, [probe.from]));
    }
    const dsn = join('messages', 'dsn.eml');
    copyFileSync(join(BOUNCES, 'postfix-rfc3464-dmarc.eml'), join(run.dir, dsn));
    run.events.push(data(MAX_BOUNCES_PER_PROBE + 3, dsn, [probe.from]));
    const facts = readRecordedFacts({ eventsFile: run.write(), startedAt: '2026-01-01T00:00:00.000Z', probes: [probe], mailboxDomain: MAILBOX });
    expect([...facts.bounces.keys()]).toEqual([dsn]);
  });

  it('reads at most MAX_DELIVERIES_READ deliveries of one probe, and none of events before the run', () => {
    const run = runDir();
    for (let i = 1; i <= MAX_DELIVERIES_READ + 5; i++) run.events.push(data(i, run.store(`copy-${i}.eml`, `${STAMP}\r\n${probeMessage(probe)}`), [probe.recipient]));
    const eventsFile = run.write();
    expect(readRecordedFacts({ eventsFile, startedAt: '2026-01-01T00:00:00.000Z', probes: [probe], mailboxDomain: MAILBOX }).receivedChains.size).toBe(MAX_DELIVERIES_READ);
    const later = readRecordedFacts({ eventsFile, startedAt: '2027-01-01T00:00:00.000Z', probes: [probe], mailboxDomain: MAILBOX });
    expect(later.events).toEqual([]);
    expect(later.receivedChains.size).toBe(0);
  });

  it('a stored message that cannot be read is absent, not an error', () => {
    const run = runDir();
    run.events.push(data(1, join('messages', 'gone.eml'), [probe.recipient]), data(2, join('messages', 'gone-too.eml'), [probe.from]));
    const facts = readRecordedFacts({ eventsFile: run.write(), startedAt: '2026-01-01T00:00:00.000Z', probes: [probe], mailboxDomain: MAILBOX });
    expect(facts.events).toHaveLength(2);
    expect(facts.receivedChains.size + facts.bounces.size).toBe(0);
  });
});
