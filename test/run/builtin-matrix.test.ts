import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/** The two built-in senders against all 14 profiles: the matrix each must produce. */

const EXPECTED: Record<string, [string, string | null, string, string | null]> = {
  // profile: [opportunistic outcome, its TLS version, strict outcome, strict alert]
  'no-starttls': ['delivered-plaintext', null, 'refused-before-tls', null],
  'starttls-454': ['plaintext-after-tls-failure', null, 'refused-before-tls', null],
  'handshake-failure': ['plaintext-after-tls-failure', null, 'refused-at-handshake', 'handshake_failure'],
  'tls1.0': ['delivered-tls', 'TLSv1.0', 'refused-at-handshake', 'protocol_version'],
  'tls1.1': ['delivered-tls', 'TLSv1.1', 'refused-at-handshake', 'protocol_version'],
  'tls1.2': ['delivered-tls', 'TLSv1.2', 'delivered-tls', null],
  'tls1.3': ['delivered-tls', 'TLSv1.3', 'delivered-tls', null],
  'self-signed': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  expired: ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  'not-yet-valid': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  'wrong-host': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  'untrusted-root': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  'incomplete-chain': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
  'sha1-signature': ['delivered-tls', 'TLSv1.3', 'refused-at-handshake', null],
};

let run: RunDocument;
let outDir: string;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'badmx-matrix-'));
  run = await runMatrix({
    senders: ['builtin:opportunistic', 'builtin:strict'].map((spec) => parseSenderSpec(spec)),
    policy: loadPolicy('strict'),
    profiles: studyProfiles(),
    zone: 'badmx.test',
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base: testNet('run/builtin-matrix').base, port: TEST_PORT },
    outDir,
    waitMs: 15_000,
  });
}, 60_000);

const cell = (sender: string, profile: string) => run.cells.find((c) => c.sender === sender && c.profile === profile)!;

describe('built-in senders on the whole fleet', () => {
  it.each(Object.entries(EXPECTED))('%s', (profile, [opportunistic, version, strict, alert]) => {
    const o = cell('builtin:opportunistic', profile);
    expect(o.outcome).toBe(opportunistic);
    expect(o.tls?.version ?? null).toBe(version);
    expect(o.settled).toBe(true);
    const s = cell('builtin:strict', profile);
    expect(s.outcome).toBe(strict);
    expect(s.alert).toBe(alert);
    // strict: only the controls are delivered, and every cell of the strict sender passes the strict policy
    expect(s.verdict).toBe('pass');
    expect(o.verdict).toBe(['tls1.2', 'tls1.3'].includes(profile) ? 'pass' : 'fail');
  });

  it('the opportunistic sender retried handshake-failure in a second, plaintext session', () => {
    const c = cell('builtin:opportunistic', 'handshake-failure');
    expect(c.connections).toBe(2);
    expect(c.evidence[0]?.tlsFailure).toMatchObject({ origin: 'profile', alert: 'handshake_failure' });
    expect(c.evidence[1]).toMatchObject({ starttls: null, data: { accepted: true } });
    expect(c.received).toMatch(/ with ESMTP id /);
  });

  it('writes run.json: versioned, with the run, profiles, senders and every cell', () => {
    const saved = JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8')) as RunDocument;
    expect(saved.schemaVersion).toBe(2);
    expect(saved.run).toMatchObject({ status: 'complete', error: null, zone: 'badmx.test', events: 'events.jsonl' });
    expect(saved.profiles).toHaveLength(14);
    expect(saved.profiles.find((p) => p.name === 'tls1.3')?.expected).toMatchObject({ expect: 'delivered-tls', minVersion: 'TLSv1.2' });
    expect(saved.senders.map((s) => s.label)).toEqual(['builtin:opportunistic', 'builtin:strict']);
    expect(saved.cells).toHaveLength(28);
    expect(saved.summary).toEqual({ cells: 28, pass: 16, fail: 12, inconclusive: 0, unsettled: 0 });
    const c = saved.cells.find((x) => x.sender === 'builtin:strict' && x.profile === 'tls1.3')!;
    expect(Object.keys(c)).toEqual(
      expect.arrayContaining(['sender', 'profile', 'outcome', 'verdict', 'reason', 'tls', 'connections', 'evidence', 'firstSeen', 'lastSeen', 'received']),
    );
    expect(c.probe.recipient).toMatch(/^probe-[0-9a-z]+-\d+@tls1\.3\.badmx\.test$/);
    expect(c.received).toContain('with ESMTPS (version=TLSv1.3');
    expect(saved.stray.connections).toBe(0);
  });

  it('each probe is a synthetic sensitive-looking message with its headers', () => {
    const c = cell('builtin:strict', 'tls1.2');
    const data = readFileSync(join(outDir, c.message ?? ''), 'utf8');
    expect(data).toContain(`Message-ID: ${c.probe.messageId}`);
    expect(data).toMatch(/^X-Badmx-Probe: [0-9a-z]+-\d+; sender=builtin:(opportunistic|strict); profile=tls1\.2$/m);
    expect(data).toContain('SYNTHETIC TEST MESSAGE');
  });
});
