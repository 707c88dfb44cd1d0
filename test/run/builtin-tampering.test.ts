import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * badmx's own senders against the tampering suite, judged by strict: the readings
 * (vulnerable, downgraded, held) and the cells that rest on the sender's own words (a 554
 * greeting: no connection names a sender that quit before EHLO). Addresses 127.0.219.x.
 */
let run: RunDocument;
beforeAll(async () => {
  run = await runMatrix({
    senders: ['builtin:opportunistic', 'builtin:strict'].map((spec) => parseSenderSpec(spec)),
    policy: loadPolicy('strict'),
    profiles: [...selectProfiles(loadCatalogue(), ['tls1.2']), ...selectProfiles(loadCatalogue(), undefined, ['tampering'])],
    zone: 'badmx.test',
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base: testNet('run/builtin-tampering').base, port: TEST_PORT },
    outDir: mkdtempSync(join(tmpdir(), 'badmx-builtin-tampering-')),
    waitMs: 15_000,
  });
}, 90_000);

const cell = (sender: string, profile: string) => run.cells.find((c) => c.sender === sender && c.profile === profile)!;

describe('built-in senders on the tampering suite', () => {
  it('response injection: both discard what came in plaintext after the 220, wait for the reply inside TLS and deliver: held', () => {
    for (const sender of ['builtin:opportunistic', 'builtin:strict']) {
      const c = cell(sender, 'starttls-injection');
      expect(c, sender).toMatchObject({ outcome: 'delivered-tls', verdict: 'pass', attack: { verdict: 'held', case: 'Buffering/B_1' } });
      expect(c.evidence.find((e) => e.injection)?.injection, sender).toEqual({ withheld: 'EHLO', lines: [] });
      expect(c.submission?.detail, sender).toMatch(/octets that came in plaintext after the 220 to STARTTLS were discarded/);
    }
  });

  it('a 554 greeting: neither greets, and each cell is judged on the sender\'s own words quoting it', () => {
    for (const sender of ['builtin:opportunistic', 'builtin:strict']) {
      const c = cell(sender, 'greeting-554');
      expect(c.connections, sender).toBe(0);
      expect(c.verdict, sender).toBe('pass');
      expect(c.inconclusive, sender).toBeNull();
      expect(c.reason, sender).toMatch(/its own words quote the greeting: "554 mx\.greeting-554\.badmx\.test No SMTP service here"/);
    }
  });

  it('opportunistic is downgraded wherever plaintext is left, strict holds everywhere', () => {
    for (const profile of ['starttls-221', 'starttls-354', 'starttls-500', 'starttls-501', 'starttls-530', 'starttls-220-plaintext', 'starttls-220-no-transition', 'ehlo-refused', 'starttls-second-ehlo']) {
      expect(cell('builtin:opportunistic', profile).attack?.verdict, profile).toBe('downgraded');
      expect(cell('builtin:strict', profile), profile).toMatchObject({ verdict: 'pass', attack: { verdict: 'held' } });
    }
    expect(cell('builtin:opportunistic', 'starttls-421').attack?.verdict).toBe('held');
  });
});
