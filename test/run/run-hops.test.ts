import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { renderTerminalMatrix } from '../../src/report/terminal-matrix.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/** A real run: every delivered cell carries its parsed Received chain, cross-checked against the session. */

let run: RunDocument;
let outDir: string;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'badmx-run-hops-'));
  run = await runMatrix({
    senders: [parseSenderSpec('builtin:opportunistic'), parseSenderSpec('builtin:strict')],
    policy: loadPolicy('strict'),
    profiles: selectProfiles(studyProfiles(), ['no-starttls', 'tls1.0', 'tls1.2', 'tls1.3']),
    zone: 'badmx.test',
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base: testNet('run/run-hops').base, port: TEST_PORT },
    outDir,
    waitMs: 15_000,
  });
}, 60_000);

const cell = (sender: string, profile: string) => run.cells.find((c) => c.sender === sender && c.profile === profile)!;

describe('run.json hops and evidenceMismatch', () => {
  it.each([
    ['no-starttls', false, null],
    ['tls1.0', true, 'TLSv1.0'],
    ['tls1.2', true, 'TLSv1.2'],
    ['tls1.3', true, 'TLSv1.3'],
  ] as const)('%s: the receiver’s own hop is last and states what the session negotiated', (profile, tls, version) => {
    const c = cell('builtin:opportunistic', profile);
    expect(c.hops).not.toBeNull();
    const own = c.hops?.at(-1);
    expect(own?.by.host).toBe(`mx.${profile}.badmx.test`);
    expect(own?.for).toBe(c.probe.recipient);
    expect(own?.tls.tls).toBe(tls);
    expect(own?.tls.version).toBe(version);
    expect(own?.tls.version ?? null).toBe(c.tls?.version ?? null);
    if (tls) expect(own?.tls.cipher).toBe(c.tls?.cipher);
    expect(c.evidenceMismatch).toBeNull();
  });

  it('cells with nothing delivered have no chain', () => {
    expect(cell('builtin:strict', 'no-starttls')).toMatchObject({ outcome: 'refused-before-tls', hops: null, evidenceMismatch: null });
    expect(cell('builtin:strict', 'tls1.0')).toMatchObject({ hops: null, evidenceMismatch: null });
  });

  it('run.json on disk carries the same hops; the matrix shows no mismatch mark', () => {
    const written = JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8')) as RunDocument;
    expect(written.schemaVersion).toBe(2);
    expect(written.cells.map((c) => c.hops)).toEqual(run.cells.map((c) => c.hops));
    expect(renderTerminalMatrix(run)).not.toMatch(/!|mismatch/);
  });
});
