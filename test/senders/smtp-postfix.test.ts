import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { listenAddress, type Addressing } from '../../src/profiles/addressing.js';
import { recipientDomain } from '../../src/profiles/naming.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { postfixMissing, startPostfixRelay, type PostfixRelay } from '../helpers/postfix.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The smtp: adapter proven through a relay nobody here wrote: Debian's Postfix with its
 * default opportunistic TLS (smtp_tls_security_level = may). Never skipped: without
 * Postfix (or root) this test fails and says how to fix it.
 */

const addressing: Addressing = { kind: 'per-profile', base: testNet('senders/smtp-postfix').base, port: TEST_PORT };
const RELAY_PORT = 10587;
const profiles = studyProfiles();
let relay: PostfixRelay;
let run: RunDocument;

beforeAll(async () => {
  const missing = postfixMissing();
  if (missing) throw new Error(missing);
  relay = await startPostfixRelay({
    port: RELAY_PORT,
    securityLevel: 'may',
    routes: profiles.map((p) => ({ domain: recipientDomain(p.name, 'badmx.test'), ...listenAddress(addressing, p.slot) })),
  });
  run = await runMatrix({
    senders: [parseSenderSpec(`smtp:127.0.0.1:${RELAY_PORT}?tls=none&label=postfix-may`)],
    policy: loadPolicy('strict'),
    profiles,
    zone: 'badmx.test',
    certsDir: inject('certsDir'),
    addressing,
    outDir: mkdtempSync(join(tmpdir(), 'badmx-postfix-run-')),
    waitMs: 20_000,
  });
}, 90_000);

afterAll(async () => {
  await relay?.stop();
});

function cell(profile: string) {
  const found = run.cells.find((c) => c.profile === profile);
  if (!found) throw new Error(`no cell for ${profile}`);
  return found;
}

describe('smtp: through a real Postfix relay (smtp_tls_security_level = may)', () => {
  it('the relay accepted every probe, and its deliveries are attributed to their probes', () => {
    expect(run.senders[0]).toMatchObject({ label: 'postfix-may', kind: 'smtp' });
    for (const c of run.cells) expect(c.submission, c.profile).toMatchObject({ accepted: true, final: false });
    expect(relay.version).toMatch(/^3\./);
  });

  it('delivers in plaintext where STARTTLS is absent (opportunistic TLS)', () => {
    expect(cell('no-starttls')).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail', settled: true });
    expect(cell('no-starttls').evidence[0]?.helo).toBe('relay.badmx.invalid');
    expect(cell('no-starttls').received).toMatch(/from relay\.badmx\.invalid .* with ESMTP id/);
  });

  it('delivers over the version each control offers, and to unverified certificates', () => {
    expect(cell('tls1.2')).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.2' }, verdict: 'pass' });
    expect(cell('tls1.3')).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.3' }, verdict: 'pass' });
    for (const name of ['self-signed', 'expired', 'wrong-host', 'untrusted-root']) {
      expect(cell(name), name).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
    }
  });

  it('downgrades to plaintext when STARTTLS is refused', () => {
    expect(cell('starttls-454')).toMatchObject({ outcome: 'plaintext-after-tls-failure', verdict: 'fail' });
  });

  it('after failed handshakes it retries in plaintext: a downgrade seen across connections', () => {
    const c = cell('handshake-failure');
    expect(c.outcome).toBe('plaintext-after-tls-failure');
    expect(c.connections).toBeGreaterThanOrEqual(2);
    expect(c.evidence[0]?.tlsFailure).toMatchObject({ origin: 'profile', alert: 'handshake_failure' });
  });

  it('delivers over TLS 1.0 and 1.1 when that is all the receiver speaks', () => {
    expect(cell('tls1.0')).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.0' }, verdict: 'fail' });
    expect(cell('tls1.1')).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.1' }, verdict: 'fail' });
  });
});
