import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BadmxError, evaluate, loadCatalogue, selectProfiles, type RunDocument } from '../../src/index.js';
import { cellResult, cellTestName, planMatrix, type BuiltinProfileName } from '../../src/vitest/matrix-tests.js';
import { describeMatrix, DEFAULT_CERTS_DIR } from '../../src/vitest/index.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * badmx/vitest from the inside: the plan it makes from its options before anything runs (test
 * names, profiles, the policy it judges by, timeouts), how a judged cell becomes a test result,
 * and a real matrix described in this very file, whose tests run in this suite. The same
 * helper, from the packed tarball and against a real relay, is tarball.test.ts.
 */

const RELAY = 'smtp:localhost:587';

describe('planMatrix: everything is known at collection, before anything listens', () => {
  it('one test per (sender, profile), named "<sender> × <profile>", in catalogue order', () => {
    const plan = planMatrix('our relay', { senders: [RELAY, 'builtin:strict'], profiles: ['expired', 'no-starttls', 'tls1.2'] });
    expect(plan.cells.map((c) => c.name)).toEqual([
      'localhost:587 × no-starttls',
      'localhost:587 × tls1.2',
      'localhost:587 × expired',
      'builtin:strict × no-starttls',
      'builtin:strict × tls1.2',
      'builtin:strict × expired',
    ]);
    expect(cellTestName('a', 'b')).toBe('a × b');
    expect(plan.addedControl).toBeNull();
  });

  it('adds the control profile when none is selected: it is a test too', () => {
    const plan = planMatrix('x', { senders: [RELAY], profiles: ['expired'] });
    expect(plan.addedControl).toBe('tls1.2');
    expect(plan.cells.map((c) => c.profile)).toEqual(['tls1.2', 'expired']);
  });

  it('without profiles: the profiles of `expect`, else those of `suites` (the study\'s by default); with both, their union', () => {
    expect(planMatrix('x', { senders: [RELAY] }).profiles.map((p) => p.name)).toEqual(loadCatalogue().filter((p) => p.suite === 'study').map((p) => p.name));
    expect(planMatrix('x', { senders: [RELAY], suites: ['mta-sts'] }).profiles.map((p) => p.name)).toEqual(loadCatalogue().filter((p) => p.suite === 'mta-sts').map((p) => p.name));
    expect(planMatrix('x', { senders: [RELAY], suites: ['all'] }).profiles).toHaveLength(loadCatalogue().length);
    expect(planMatrix('x', { senders: [RELAY], expect: { 'tls1.3': 'delivered-tls', 'no-starttls': 'not-delivered' } }).profiles.map((p) => p.name)).toEqual(['no-starttls', 'tls1.3']);
    expect(planMatrix('x', { senders: [RELAY], profiles: ['expired'], expect: { 'tls1.0': 'not-delivered' } }).profiles.map((p) => p.name)).toEqual(['tls1.0', 'tls1.2', 'expired']);
  });

  it("expectations are leading policy rules: badmx's own evaluate() judges by them, the policy decides the rest", () => {
    const plan = planMatrix('our relay', {
      senders: [RELAY],
      policy: 'opportunistic',
      expect: { expired: 'not-delivered', 'tls1.2': { expect: 'delivered-tls', minVersion: 'TLSv1.3', because: 'we pin TLS 1.3' } },
      profiles: ['no-starttls'],
    });
    expect(plan.policy.name).toBe('opportunistic-with-expectations');
    const [noStarttls, tls12, expired] = selectProfiles(loadCatalogue(), ['no-starttls', 'tls1.2', 'expired']) as [never, never, never];
    const overTls13 = { outcome: 'delivered-tls' as const, tls: { version: 'TLSv1.3' as const, cipher: 'TLS_AES_256_GCM_SHA384' } };
    const overTls12 = { outcome: 'delivered-tls' as const, tls: { version: 'TLSv1.2' as const, cipher: 'ECDHE-RSA-AES128-GCM-SHA256' } };
    expect(evaluate(plan.policy, expired, overTls13)).toMatchObject({ verdict: 'fail', reason: 'delivered over TLSv1.3, but must not deliver: "our relay" expects no delivery to expired' });
    expect(evaluate(plan.policy, tls12, overTls12)).toMatchObject({ verdict: 'fail', reason: 'delivered over TLSv1.2, below the required TLSv1.3' });
    // no expectation there: opportunistic's own rule
    expect(evaluate(plan.policy, noStarttls, { outcome: 'delivered-plaintext', tls: null })).toMatchObject({ verdict: 'pass', expected: 'delivered' });
    // and the run document carries the policy as it was judged by
    expect(plan.runOptions.policy).toBe(plan.policy);
  });

  it('defaults: strict, the PKI in node_modules/.cache, receivers on 127.0.2.x:25 with the harness DNS, reports/badmx/<suite>', () => {
    const plan = planMatrix('Our Relay: prod', { senders: [RELAY] });
    expect(plan.policy.name).toBe('strict');
    expect(plan.runOptions).toMatchObject({
      certsDir: resolve(DEFAULT_CERTS_DIR),
      addressing: { kind: 'per-profile', base: '127.0.2.0', port: 25 },
      dns: { address: '127.0.2.253', port: 53 },
      serveDns: true,
      outDir: resolve('reports/badmx/our-relay-prod'),
      waitMs: 60_000,
      zone: 'badmx.test',
    });
    expect(plan.renderers.map((r) => r.name)).toEqual(['html', 'md', 'junit']);
    expect(plan.inconclusive).toBe('fail');
    // one step per sender: its wait, plus setup, plus time to write what was recorded
    expect(plan.abortAfterMs).toBe(60_000 + 60_000);
    expect(plan.hookTimeoutMs).toBe(plan.abortAfterMs + 30_000);
  });

  it('off port 25 there is no MX delivery, so no harness DNS unless asked; a shared address is one step per cell', () => {
    const portRange = planMatrix('x', { senders: [RELAY], addressing: { kind: 'port-range', address: '127.0.0.1', firstPort: 2525 } });
    expect(portRange.runOptions.dns).toBeUndefined();
    expect(planMatrix('x', { senders: [RELAY], dns: false }).runOptions.dns).toBeUndefined();
    expect(planMatrix('x', { senders: [RELAY], dns: testNet('package/describe-matrix').host(53) }).runOptions.dns).toEqual({ address: testNet('package/describe-matrix').host(53), port: 53 });
    const shared = planMatrix('x', { senders: [RELAY, 'builtin:strict'], profiles: ['expired', 'tls1.2'], waitMs: 5_000, addressing: { kind: 'shared', address: '127.0.0.9', port: 25 } });
    expect(shared.abortAfterMs).toBe(2 * 2 * 5_000 + 60_000);
    expect(planMatrix('x', { senders: [RELAY], reports: false }).renderers).toEqual([]);
  });

  it('every mistake is one line, at collection', () => {
    const mistakes: [string, () => unknown, RegExp][] = [
      ['no senders', () => planMatrix('s', { senders: [] }), /^describeMatrix\("s"\): senders must name at least one sender/],
      ['a bad spec', () => planMatrix('s', { senders: ['smtp:'] }), /smtp:HOST/],
      ['twice the same label', () => planMatrix('s', { senders: [RELAY, RELAY] }), /two senders are labelled "localhost:587"/],
      ['an unknown profile', () => planMatrix('s', { senders: [RELAY], profiles: ['expird'] }), /unknown profile "expird"; known: no-starttls/],
      ['an unknown profile in expect', () => planMatrix('s', { senders: [RELAY], expect: { tls9: 'delivered' } }), /unknown profile "tls9"/],
      ['an expectation that is no policy word', () => planMatrix('s', { senders: [RELAY], expect: { expired: 'refuse' as never } }), /policy: rules\.0\.expect: /],
      ['an unknown policy', () => planMatrix('s', { senders: [RELAY], policy: 'lenient' }), /unknown policy "lenient"/],
      ['a policy object without a final rule', () => planMatrix('s', { senders: [RELAY], policy: { name: 'p', title: 'P', rules: [{ when: { tlsOffered: true }, expect: 'delivered', because: 'b' }] } }), /the last rule must have no "when"/],
      ['an unknown report format', () => planMatrix('s', { senders: [RELAY], reports: ['docx'] }), /unknown format "docx" in reports/],
      ['a wait of nothing', () => planMatrix('s', { senders: [RELAY], waitMs: 0 }), /waitMs must be a positive number/],
      ['a DNS address that is none', () => planMatrix('s', { senders: [RELAY], dns: 'localhost' }), /dns must be an IP address or false, not "localhost"/],
      ['an inconclusive mode that is none', () => planMatrix('s', { senders: [RELAY], inconclusive: 'pass' as never }), /inconclusive must be 'fail' or 'skip', not "pass"/],
    ];
    for (const [what, plan, message] of mistakes) {
      expect(plan, what).toThrow(BadmxError);
      expect(plan, what).toThrow(message);
    }
  });

  it('BuiltinProfileName names exactly the built-in catalogue', () => {
    const names = {
      'no-starttls': true,
      'starttls-454': true,
      'handshake-failure': true,
      'tls1.0': true,
      'tls1.1': true,
      'tls1.2': true,
      'tls1.3': true,
      'self-signed': true,
      expired: true,
      'not-yet-valid': true,
      'wrong-host': true,
      'untrusted-root': true,
      'incomplete-chain': true,
      'sha1-signature': true,
      'sts-enforce-valid': true,
      'sts-enforce-no-starttls': true,
      'sts-enforce-self-signed': true,
      'sts-enforce-expired': true,
      'sts-enforce-wrong-host': true,
      'sts-enforce-mx-mismatch': true,
      'sts-testing-self-signed': true,
      'sts-policy-unreachable': true,
      'sts-policy-bad-certificate': true,
      'sts-cached-downgrade': true,
      'dane-ee-valid': true,
      'dane-ee-self-signed': true,
      'dane-ee-expired': true,
      'dane-ta-valid': true,
      'dane-mismatch': true,
      'dane-no-starttls': true,
      'dane-bogus': true,
      'dane-unsigned': true,
      'rsa-1024': true,
      'dh-1024': true,
      'static-rsa': true,
      'cbc-only': true,
      'no-san': true,
      'wrong-eku': true,
      'sni-required': true,
      'expired-intermediate': true,
      revoked: true,
      'starttls-221': true,
      'starttls-354': true,
      'starttls-421': true,
      'starttls-500': true,
      'starttls-501': true,
      'starttls-530': true,
      'starttls-220-plaintext': true,
      'ehlo-refused': true,
      'starttls-injection': true,
      'greeting-554': true,
      'starttls-220-no-transition': true,
      'starttls-second-ehlo': true,
    } satisfies Record<BuiltinProfileName, true>;
    expect(Object.keys(names).sort()).toEqual(loadCatalogue().map((p) => p.name).sort());
  });
});

describe('cellResult: a judged cell as a test result, never judged again', () => {
  const runDir = '/runs/x';
  const cellOf = (run: RunDocument, sender: string, profile: string) => {
    const cell = run.cells.find((c) => c.sender === sender && c.profile === profile);
    if (!cell) throw new Error(`no cell ${sender} × ${profile}`);
    return cell;
  };

  it('pass passes; fail fails with the reason first, then what the receiver recorded, then where the run is', () => {
    const demo = loadFixture(DEMO_RUN);
    expect(cellResult(demo, cellOf(demo, 'builtin:strict', 'expired'), { inconclusive: 'fail', runDir })).toEqual({ status: 'pass', note: null });
    const failed = cellResult(demo, cellOf(demo, 'builtin:opportunistic', 'expired'), { inconclusive: 'fail', runDir });
    expect(failed.status).toBe('fail');
    const lines = failed.status === 'fail' ? failed.message.split('\n') : [];
    expect(lines[0]).toBe(`TLS 1.3: ${cellOf(demo, 'builtin:opportunistic', 'expired').reason}`);
    expect(lines).toContain('expected: do not deliver (the receiver cannot be reached over authenticated TLS 1.2 or later)');
    expect(lines).toContain('observed: delivered-tls');
    expect(lines.find((l) => l.startsWith('connection 1 from '))).toMatch(/STARTTLS → 220; TLS TLSv1\.3 .*DATA → 250 \(accepted\)/);
    expect(lines.at(-1)).toBe('run: /runs/x/run.json');
  });

  it('inconclusive fails with its cause and the sender diagnosis, or is skipped when the suite allows it; it never passes', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const cell = hostile.cells.find((c) => c.sender === HOSTILE.diagnosedSender && c.verdict === 'inconclusive');
    if (!cell) throw new Error('the hostile fixture has no inconclusive cell');
    const failed = cellResult(hostile, cell, { inconclusive: 'fail', runDir });
    expect(failed.status).toBe('fail');
    const message = failed.status === 'fail' ? failed.message : '';
    expect(message).toMatch(/^INCONCLUSIVE \([^)]+\): /);
    expect(message).toContain('An inconclusive cell was not actually tested, so it is not a pass.');
    expect(message).toContain(`inconclusive: ${cell.inconclusive?.cause ?? ''}: `);
    // Its sender delivered to no control, so it is never skipped; a cell untested for its own reason may be.
    expect(cellResult(hostile, cell, { inconclusive: 'skip', runDir }).status).toBe('fail');
    const refused = hostile.cells.find((c) => c.inconclusive?.cause === 'submission-refused');
    if (!refused) throw new Error('the hostile fixture has no refused submission');
    const refusedMessage = cellResult(hostile, refused, { inconclusive: 'fail', runDir });
    expect(cellResult(hostile, refused, { inconclusive: 'skip', runDir })).toEqual({ status: 'skip', note: refusedMessage.status === 'fail' ? refusedMessage.message.split('\n')[0] : '' });
    // a run that broke off is the harness or the relay failing: its untested cells fail, skip or not
    const broken: RunDocument = { ...hostile, run: { ...hostile.run, status: 'error', error: 'the relay 127.0.0.1:587 cannot be reached' } };
    const result = cellResult(broken, refused, { inconclusive: 'skip', runDir });
    expect(result.status).toBe('fail');
    expect(result.status === 'fail' ? result.message : '').toContain('the run stopped early: the relay 127.0.0.1:587 cannot be reached');
  });

  it('a pass the deadline cut short passes, with a note that it is provisional', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const cell = hostile.cells.find((c) => c.verdict === 'pass' && !c.settled);
    if (!cell) throw new Error('the hostile fixture has no unsettled pass');
    const result = cellResult(hostile, cell, { inconclusive: 'fail', runDir });
    expect(result.status).toBe('pass');
    expect(result.status === 'pass' ? result.note : null).toMatch(/^provisional: .* when the deadline came/);
  });

  it('a run stopped before its wait was over (the suite out of time): an unsettled pass fails, and nothing is skipped', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const pass = hostile.cells.find((c) => c.verdict === 'pass' && !c.settled);
    const untested = hostile.cells.find((c) => c.sender === HOSTILE.diagnosedSender && c.verdict === 'inconclusive');
    if (!pass || !untested) throw new Error('the hostile fixture lacks an unsettled pass or an inconclusive cell');
    for (const [run, cutShort] of [
      [hostile, true],
      [{ ...hostile, run: { ...hostile.run, status: 'interrupted' as const } }, false],
    ] as const) {
      const result = cellResult(run, pass, { inconclusive: 'skip', runDir, cutShort });
      expect(result.status).toBe('fail');
      expect(result.status === 'fail' ? result.message : '').toMatch(/^NOT WAITED FOR: .*the run was stopped before its wait was over/);
      expect(cellResult(run, untested, { inconclusive: 'skip', runDir, cutShort }).status).toBe('fail');
    }
  });

  it('never skipped: an inconclusive control, or any cell of a sender that delivered to no control', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const untested = hostile.cells.find((c) => c.sender === HOSTILE.diagnosedSender && c.verdict === 'inconclusive');
    if (!untested) throw new Error('the hostile fixture has no inconclusive cell');
    const noControl = { ...untested, inconclusive: { cause: 'no-control' as const, detail: 'no control probe was delivered' } };
    expect(cellResult({ ...hostile, cells: [noControl] }, noControl, { inconclusive: 'skip', runDir }).status).toBe('fail');
    const control = hostile.profiles.find((p) => p.name === 'tls1.2');
    if (!control) throw new Error('the hostile fixture has no tls1.2 profile');
    const atControl = { ...untested, profile: control.name };
    const result = cellResult(hostile, atControl, { inconclusive: 'skip', runDir });
    expect(result.status).toBe('fail');
    expect(result.status === 'fail' ? result.message : '').toContain('This is a control');
  });
});

// A real matrix, described here: its tests run in this suite (builtin:strict passes the strict
// policy everywhere). A file of its own address block, on a high port, so no root and no DNS.
const outDir = mkdtempSync(join(tmpdir(), 'badmx-describe-matrix-'));
const matrix = describeMatrix('describeMatrix in this suite', {
  senders: ['builtin:strict'],
  profiles: ['no-starttls', 'expired'],
  certsDir: inject('certsDir'),
  addressing: { kind: 'per-profile', base: testNet('package/describe-matrix', 1).base, port: 10025 },
  outDir,
  waitMs: 10_000,
});

describe('describeMatrix, run in this suite', () => {
  it('registered its tests at collection, ran the matrix once, and wrote run.json and the reports', () => {
    expect(matrix.cells.map((c) => c.name)).toEqual(['builtin:strict × no-starttls', 'builtin:strict × tls1.2', 'builtin:strict × expired']);
    expect(matrix.outDir).toBe(outDir);
    expect(matrix.run.summary).toMatchObject({ cells: 3, pass: 3, fail: 0, inconclusive: 0 });
    expect(JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8'))).toMatchObject({ run: { id: matrix.run.run.id } });
    for (const file of ['report.html', 'report.md', 'junit.xml']) expect(existsSync(join(outDir, file)), file).toBe(true);
    expect(readFileSync(join(outDir, 'junit.xml'), 'utf8')).toContain('<testcase name="expired" classname="builtin:strict"');
  });
});
