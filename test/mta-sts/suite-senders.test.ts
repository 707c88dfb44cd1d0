import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { readEventLog } from '../../src/recorder/event-log.js';
import { serializeRunDocument } from '../../src/document/serialize-run-document.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { findMtaStsDaemon } from '../../src/senders/mta/mta-sts-daemon.js';
import { findPostfix } from '../../src/senders/mta/find-mta.js';
import { runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The MTA-STS suite (RFC 8461) against senders that honour it and senders that do not, side
 * by side, judged by the shipped `mta-sts` policy: every profile's verdict is what the RFC
 * implies, and each cell holds what the profile's policy host saw of its sender.
 *
 * - builtin:mta-sts: badmx's own RFC 8461 sending side (src/senders/mta-sts-sender.ts);
 * - postfix:mta-sts: Debian's Postfix at "may" with Debian's postfix-mta-sts-resolver as its
 *   smtp_tls_policy_maps. Its README: "enforce" policies become "secure match=<mx patterns>",
 *   "testing" and unfetchable policies no answer at all (so Postfix stays at "may");
 * - builtin:strict, builtin:opportunistic and postfix:may know nothing of MTA-STS.
 *
 * Never skipped: without root, Postfix or the resolver this fails, saying what to install.
 */

const SUITE = selectProfiles(loadCatalogue(), undefined, ['mta-sts']);
const SENDERS = ['builtin:mta-sts', 'postfix:mta-sts', 'builtin:strict', 'builtin:opportunistic', 'postfix:may'] as const;
const ENFORCED_UNMET = ['sts-enforce-no-starttls', 'sts-enforce-self-signed', 'sts-enforce-expired', 'sts-enforce-wrong-host', 'sts-enforce-mx-mismatch'];
const NO_ENFORCED_POLICY = ['sts-testing-self-signed', 'sts-policy-unreachable', 'sts-policy-bad-certificate'];

const recipes = runRecipesOnce({
  recipes: SENDERS,
  addressBase: testNet('mta-sts/suite-senders').base,
  profiles: SUITE,
  policy: 'mta-sts',
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the MTA-STS suite needs root (port 25 and 443): run the tests as root after "sudo bash harness/install-mtas.sh"');
    findPostfix();
    findMtaStsDaemon();
  },
});

describe('the MTA-STS suite, judged by the mta-sts policy', () => {
  it('ran for real and settled every probe', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    expect(recipes.run.policy.name).toBe('mta-sts');
    expect(recipes.run.profiles.map((p) => p.suite)).toEqual(SUITE.map(() => 'mta-sts'));
    // Postfix retrying the first step's deferred probes during phase 2's step is still its own, not stray.
    expect(recipes.strayThatGreeted()).toEqual([]);
    // run.json, with what each profile published, reads back through the schema unchanged
    const file = join(recipes.outDir, 'run.json');
    expect(serializeRunDocument(loadRunDocument(file).document)).toBe(readFileSync(file, 'utf8'));
    const valid = recipes.run.profiles.find((p) => p.name === 'sts-enforce-valid');
    expect(valid?.sts).toMatchObject({ policyHost: 'mta-sts.sts-enforce-valid.badmx.test', policyAddress: testNet('mta-sts/suite-senders').host(15), reportsByHttps: true });
    expect(valid?.mtaSts).toEqual({ mode: 'enforce', mx: 'covered', policy: 'served', maxAge: 86400 });
  });

  it('senders that honour MTA-STS pass every profile: they deliver to the met policy, refuse where an enforced one cannot be met, and deliver where none applies', () => {
    for (const sender of ['builtin:mta-sts', 'postfix:mta-sts']) {
      const verdicts = Object.fromEntries(SUITE.map((p) => [p.name, recipes.cell(sender, p.name).verdict]));
      expect(verdicts, `${sender}: ${JSON.stringify(SUITE.map((p) => [p.name, recipes.cell(sender, p.name).reason]))}`).toEqual(Object.fromEntries(SUITE.map((p) => [p.name, 'pass'])));
      expect(recipes.cell(sender, 'sts-enforce-valid')).toMatchObject({ outcome: 'delivered-tls' });
      for (const profile of NO_ENFORCED_POLICY) expect(recipes.cell(sender, profile).outcome, `${sender} × ${profile}`).toBe('delivered-tls');
      expect(recipes.cell(sender, 'sts-enforce-no-starttls').outcome).toBe('refused-before-tls');
    }
  });

  it('builtin:mta-sts never even connects to an MX its enforced policy does not list (RFC 8461 §4.1), and says so', () => {
    const cell = recipes.cell('builtin:mta-sts', 'sts-enforce-mx-mismatch');
    expect(cell).toMatchObject({ outcome: 'not-attempted', connections: 0, verdict: 'pass' });
    expect(cell.submission?.detail).toMatch(/MTA-STS enforce: MX mx\.sts-enforce-mx-mismatch\.badmx\.test matches no mx pattern of the policy/);
  });

  it('postfix:mta-sts refuses the unlisted MX after the handshake: the resolver hands Postfix "secure match=<policy mx>", which the MX certificate does not name', () => {
    expect(recipes.cell('postfix:mta-sts', 'sts-enforce-mx-mismatch').outcome).toBe('refused-after-handshake');
  });

  it('senders that ignore MTA-STS fail where the policy matters: the opportunistic ones deliver through every enforced policy, the strict one refuses where no policy applies', () => {
    for (const sender of ['builtin:opportunistic', 'postfix:may']) {
      for (const profile of [...ENFORCED_UNMET, 'sts-cached-downgrade']) expect(recipes.cell(sender, profile).verdict, `${sender} × ${profile}`).toBe('fail');
      for (const profile of NO_ENFORCED_POLICY) expect(recipes.cell(sender, profile).verdict, `${sender} × ${profile}`).toBe('pass');
    }
    expect(recipes.cell('builtin:opportunistic', 'sts-enforce-no-starttls').outcome).toBe('delivered-plaintext');
    // strict verifies every MX, so it happens to refuse the unmet enforced policies, but it delivers to the unlisted MX and refuses where no policy applies
    for (const profile of ENFORCED_UNMET.filter((p) => p !== 'sts-enforce-mx-mismatch')) expect(recipes.cell('builtin:strict', profile).verdict).toBe('pass');
    expect(recipes.cell('builtin:strict', 'sts-enforce-mx-mismatch')).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
    for (const profile of NO_ENFORCED_POLICY) expect(recipes.cell('builtin:strict', profile).verdict, profile).toBe('fail');
  });

  it('each cell holds what the policy host saw of its sender: the honouring senders fetched, the others never did', () => {
    const fetched = recipes.cell('builtin:mta-sts', 'sts-enforce-valid').policyFetches ?? [];
    expect(fetched).toContainEqual(expect.objectContaining({ kind: 'fetch', status: 200, by: 'sender', sni: 'mta-sts.sts-enforce-valid.badmx.test', tlsVersion: 'TLSv1.3' }));
    // a fetch from the built-in sender names it, so it is never another sender's evidence
    for (const sender of ['builtin:strict', 'builtin:opportunistic', 'postfix:may', 'postfix:mta-sts']) {
      expect(recipes.cell(sender, 'sts-enforce-valid').policyFetches?.filter((f) => f.by === 'sender') ?? [], sender).toEqual([]);
      expect(recipes.cell(sender, 'sts-enforce-valid').policyFetches?.some((f) => f.userAgent?.includes('builtin')) ?? false, sender).toBe(false);
    }
    // Postfix's resolver fetches too: side by side with other MTAs it cannot be told apart, and says so
    expect(recipes.cell('postfix:mta-sts', 'sts-enforce-valid').policyFetches).toContainEqual(expect.objectContaining({ kind: 'fetch', status: 200, by: 'unattributed' }));
    // the self-signed policy host: the verifying client broke off the handshake
    expect(recipes.cell('builtin:mta-sts', 'sts-policy-bad-certificate').policyFetches).toContainEqual(expect.objectContaining({ kind: 'tls-failed' }));
    // profiles without a policy carry no such record
    expect(recipes.run.cells.filter((c) => !c.profile.startsWith('sts-')).every((c) => c.policyFetches === undefined)).toBe(true);
  });

  it('builtin:mta-sts reports what each policy met by TLS-RPT (RFC 8460), by mail and by HTTPS, and the run holds every report', () => {
    const reports = recipes.run.tlsReports ?? [];
    expect(reports.every((r) => r.error === null), JSON.stringify(reports.filter((r) => r.error))).toBe(true);
    expect(reports.every((r) => r.sender === 'builtin:mta-sts')).toBe(true); // no other sender here reports
    const failures = (profile: string, via: 'mail' | 'https') =>
      reports
        .filter((r) => r.via === via)
        .flatMap((r) => r.policies)
        .filter((p) => p.profile === profile)
        .flatMap((p) => p.failures.map((f) => f.resultType));
    const expected: Record<string, string[]> = {
      'sts-enforce-valid': [],
      'sts-enforce-no-starttls': ['starttls-not-supported'],
      'sts-enforce-self-signed': ['certificate-not-trusted'],
      'sts-enforce-expired': ['certificate-expired'],
      'sts-enforce-wrong-host': ['certificate-host-mismatch'],
      'sts-enforce-mx-mismatch': ['validation-failure'],
      'sts-testing-self-signed': ['certificate-not-trusted'],
      'sts-policy-unreachable': ['sts-policy-fetch-error'],
      'sts-policy-bad-certificate': ['sts-webpki-invalid'],
      'sts-cached-downgrade': ['starttls-not-supported'],
    };
    for (const [profile, types] of Object.entries(expected)) expect(failures(profile, 'mail'), profile).toEqual(types);
    // by HTTPS only where the policy host serves a valid certificate (the record names it only there)
    expect(reports.filter((r) => r.via === 'https').flatMap((r) => r.policies.map((p) => p.profile)).sort()).toEqual(
      SUITE.filter((p) => p.mtaSts?.policy === 'served').map((p) => p.name).sort(),
    );
    const valid = reports.find((r) => r.via === 'mail' && r.policies.some((p) => p.profile === 'sts-enforce-valid'));
    expect(valid?.policies[0]).toMatchObject({ policyType: 'sts', successful: 1, failed: 0, organization: 'builtin:mta-sts' });
    expect(reports.find((r) => r.policies.some((p) => p.profile === 'sts-policy-unreachable'))?.policies[0]?.policyType).toBe('sts');
  });

  it('sts-cached-downgrade: phase 1 delivers to a valid MX under a valid policy; then STARTTLS is stripped and the policy host blocked, and only the senders that hold the policy they cached refuse', () => {
    for (const sender of SENDERS) {
      const cell = recipes.cell(sender, 'sts-cached-downgrade');
      // the cell is phase 2's probe; phase 1's is kept as the stage it set
      expect(cell.phases, sender).toHaveLength(1);
      expect(cell.phases?.[0]).toMatchObject({ phase: 1, outcome: 'delivered-tls' });
      expect(cell.probe.id).not.toBe(cell.phases?.[0]?.probe.id);
    }
    for (const sender of ['builtin:mta-sts', 'postfix:mta-sts']) {
      expect(recipes.cell(sender, 'sts-cached-downgrade'), sender).toMatchObject({ outcome: 'refused-before-tls', verdict: 'pass' });
    }
    expect(recipes.cell('builtin:mta-sts', 'sts-cached-downgrade').submission?.detail).toMatch(/MTA-STS enforce \(cached/);
    expect(recipes.cell('builtin:opportunistic', 'sts-cached-downgrade')).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail' });
    expect(recipes.cell('postfix:may', 'sts-cached-downgrade')).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail' });
    // the policy host refused every handshake in phase 2: what a fetch then met is on record
    const events = readEventLog(join(recipes.outDir, 'events.jsonl')).events;
    const blocked = events.filter((e) => e.type === 'policy-tls-failed' && e.profile === 'sts-cached-downgrade');
    expect(blocked.every((e) => e.type === 'policy-tls-failed' && e.origin === 'profile')).toBe(true);
  });
});
