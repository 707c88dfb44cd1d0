import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The MTA-STS suite on one shared address (public mode with a single IP): the profiles take
 * turns on it, the policy hosts share one HTTPS listener on it (chosen by SNI), an unreachable
 * policy host is refused in the handshake, and the multi-phase profile's second phase is a step
 * of its own right after its first.
 */

let run: RunDocument;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (ports 25, 53 and 443 on 127.0.202.x)');
  run = await runMatrix({
    senders: [parseSenderSpec('builtin:mta-sts'), parseSenderSpec('builtin:opportunistic')],
    policy: loadPolicy('mta-sts'),
    profiles: selectProfiles(loadCatalogue(), ['sts-enforce-valid', 'sts-policy-unreachable', 'sts-cached-downgrade']),
    zone: 'badmx.test',
    certsDir: inject('certsDir'),
    addressing: { kind: 'shared', address: testNet('mta-sts/shared-schedule').host(1), port: 25 },
    dns: { address: testNet('mta-sts/shared-schedule').host(253), port: 53 },
    outDir: mkdtempSync(join(tmpdir(), 'badmx-sts-shared-')),
    waitMs: 15_000,
  });
}, 120_000);

describe('the MTA-STS suite on a shared address (the sequential schedule)', () => {
  it('steps through the profiles, the second phase right after the first', () => {
    expect(run.schedule.mode).toBe('sequential');
    const steps = run.schedule.steps.filter((s) => s.sender === 'builtin:mta-sts').map((s) => [s.profiles.join(','), s.phase ?? 1]);
    expect(steps).toEqual([
      ['sts-enforce-valid', 1],
      ['sts-policy-unreachable', 1],
      ['sts-cached-downgrade', 1],
      ['sts-cached-downgrade', 2],
    ]);
  });

  it('judges every cell as RFC 8461 implies', () => {
    const cell = (sender: string, profile: string) => run.cells.find((c) => c.sender === sender && c.profile === profile);
    expect(cell('builtin:mta-sts', 'sts-enforce-valid')).toMatchObject({ outcome: 'delivered-tls', verdict: 'pass' });
    expect(cell('builtin:mta-sts', 'sts-policy-unreachable')).toMatchObject({ outcome: 'delivered-tls', verdict: 'pass' });
    expect(cell('builtin:mta-sts', 'sts-cached-downgrade')).toMatchObject({ outcome: 'refused-before-tls', verdict: 'pass' });
    expect(cell('builtin:opportunistic', 'sts-cached-downgrade')).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail' });
    expect(cell('builtin:mta-sts', 'sts-cached-downgrade')?.phases?.[0]).toMatchObject({ phase: 1, outcome: 'delivered-tls' });
  });

  it('the unreachable policy host is refused in the handshake on the shared listener, and the cell shows the attempt', () => {
    const fetches = run.cells.find((c) => c.sender === 'builtin:mta-sts' && c.profile === 'sts-policy-unreachable')?.policyFetches ?? [];
    expect(fetches).toContainEqual(expect.objectContaining({ kind: 'tls-failed', sni: 'mta-sts.sts-policy-unreachable.badmx.test' }));
    expect(fetches.some((f) => f.kind === 'fetch')).toBe(false);
  });
});
