import { describe, expect, it } from 'vitest';
import type { Cell, RunProfile } from '../../src/document/run-document.js';
import { failureReasonText, outcomeDetail, outcomeHeadline } from '../../src/report/cell-label.js';
import { DEMO_RUN, loadFixture, MIXED_SUITES_RUN } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const cellOf = (sender: string, profile: string): Cell => demo.cells.find((c) => c.sender === sender && c.profile === profile) as Cell;
const profileOf = (name: string): RunProfile => demo.profiles.find((p) => p.name === name) as RunProfile;
const opportunistic = (profile: string): string => outcomeHeadline(cellOf('builtin:opportunistic', profile), profileOf(profile));
const strict = (profile: string): string => outcomeHeadline(cellOf('builtin:strict', profile), profileOf(profile));

describe('headlines name the behaviour and the fault, from run.json alone (issue 19)', () => {
  it('a delivery names what was wrong with the receiver, not only the TLS version', () => {
    expect(opportunistic('expired')).toBe('Delivered to an expired certificate');
    expect(opportunistic('self-signed')).toBe('Delivered to a self-signed certificate');
    expect(opportunistic('not-yet-valid')).toBe('Delivered to a not-yet-valid certificate');
    expect(opportunistic('wrong-host')).toBe('Delivered to a certificate for another host');
    expect(opportunistic('untrusted-root')).toBe('Delivered to an untrusted certificate chain');
    expect(opportunistic('incomplete-chain')).toBe('Delivered to an incomplete chain');
    expect(opportunistic('sha1-signature')).toBe('Delivered to a SHA-1 signed certificate');
    expect(opportunistic('tls1.0')).toBe('Delivered over TLS 1.0 (retired)');
    expect(opportunistic('tls1.1')).toBe('Delivered over TLS 1.1 (retired)');
    expect(opportunistic('no-starttls')).toBe('Delivered in plaintext');
    expect(opportunistic('starttls-454')).toBe('Downgraded to plaintext after STARTTLS 454');
    expect(opportunistic('handshake-failure')).toBe('Downgraded to plaintext after the handshake failed');
    expect(outcomeDetail(cellOf('builtin:opportunistic', 'handshake-failure'), profileOf('handshake-failure'))).toBe('alert handshake_failure');
    // a control: nothing wrong, so the version
    expect(opportunistic('tls1.3')).toBe('Delivered over TLS 1.3');
    expect(opportunistic('tls1.2')).toBe('Delivered over TLS 1.2');
  });

  it('a refusal says where it stopped', () => {
    expect(strict('no-starttls')).toBe('Refused: no usable STARTTLS');
    expect(strict('starttls-454')).toBe('Refused: no usable STARTTLS');
    expect(strict('expired')).toBe('Refused at the TLS handshake');
    expect(outcomeDetail(cellOf('builtin:strict', 'starttls-454'), profileOf('starttls-454'))).toBe('held the mail after STARTTLS 454');
    expect(outcomeDetail(cellOf('builtin:strict', 'no-starttls'), profileOf('no-starttls'))).toBe('STARTTLS not offered');
  });

  it('the detail says the version once: the cipher under "Delivered over TLS 1.3", version and cipher under a fault', () => {
    const control = cellOf('builtin:opportunistic', 'tls1.3');
    expect(outcomeDetail(control, profileOf('tls1.3'))).toBe(control.tls?.cipher);
    expect(outcomeDetail(cellOf('builtin:opportunistic', 'expired'), profileOf('expired'))).toMatch(/^TLS 1\.3, \S+$/);
  });

  it('tampering, MTA-STS and DANE facts of the profile name the fault', () => {
    const plaintext = cellOf('builtin:opportunistic', 'no-starttls');
    const tls13 = cellOf('builtin:opportunistic', 'tls1.3');
    const base = profileOf('tls1.3');
    expect(outcomeHeadline(plaintext, { ...base, tampering: { starttlsReply: 500 } })).toBe('Downgraded to plaintext after STARTTLS 500');
    expect(outcomeHeadline(plaintext, { ...base, tampering: { ehlo: 'refused' } })).toBe('Downgraded to plaintext after EHLO refused');
    expect(outcomeHeadline(plaintext, { ...base, tampering: { greeting: 554 } })).toBe('Delivered in plaintext past a 554 greeting');
    expect(outcomeHeadline({ ...tls13, attack: { verdict: 'vulnerable', case: 'Buffering/B_1', signal: 'x' } }, { ...base, tampering: { injection: 'ehlo-reply' } })).toBe('Acted on injected plaintext lines');
    expect(outcomeHeadline(plaintext, { ...base, starttls: 'absent', mtaSts: { mode: 'enforce', mx: 'covered', policy: 'served', maxAge: 86400 } })).toBe('Delivered in plaintext despite MTA-STS enforce');
    expect(outcomeHeadline(tls13, { ...base, mtaSts: { mode: 'enforce', mx: 'not-covered', policy: 'served', maxAge: 86400 } })).toBe('Delivered to an MX the MTA-STS policy does not list');
    expect(outcomeHeadline(tls13, { ...base, dane: { tlsa: 'no-match', dnssec: 'secure' } })).toBe('Delivered despite a TLSA mismatch');
    expect(outcomeHeadline(tls13, { ...base, dane: { tlsa: 'ee', dnssec: 'bogus' } })).toBe('Delivered despite a bogus TLSA lookup');
    expect(outcomeHeadline(tls13, { ...base, certificate: { ...base.certificate, issuer: 'self' }, dane: { tlsa: 'ee', dnssec: 'secure' } })).toBe('Delivered to a self-signed certificate (its TLSA record matches)');
    expect(outcomeHeadline(tls13, { ...base, certificate: { ...base.certificate, keyBits: 1024 } })).toBe('Delivered to a 1024-bit RSA key');
    expect(outcomeHeadline(tls13, { ...base, certificate: { ...base.certificate, revoked: true } })).toBe('Delivered to a revoked certificate');
    expect(outcomeHeadline({ ...tls13, tls: { version: 'TLSv1.2', cipher: 'AES128-GCM-SHA256' } }, base)).toBe('Delivered without forward secrecy (RSA key exchange)');
    expect(outcomeHeadline({ ...tls13, tls: { version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-SHA256' } }, base)).toBe('Delivered over a CBC cipher suite');
    expect(outcomeHeadline(tls13, { ...base, tls: { ...base.tls, dhGroup: 1024 } })).toBe('Delivered over a 1024-bit DH group');
    // sni-required: the fault only when the sender sent no SNI, so was shown the other names' certificate
    const sniRequired = { ...base, tls: { ...base.tls, sni: 'required' as const } };
    expect(tls13.evidence.some((e) => e.tls?.sni)).toBe(true);
    expect(outcomeHeadline(tls13, sniRequired)).toBe('Delivered over TLS 1.3');
    const noSni = { ...tls13, evidence: tls13.evidence.map((e) => ({ ...e, tls: e.tls ? { ...e.tls, sni: null } : null })) };
    expect(outcomeHeadline(noSni, sniRequired)).toBe('Delivered to a certificate for another host (no SNI sent)');
  });

  it('a real mixed run: no delivery to a faulty certificate is headlined with the TLS version alone', () => {
    const mixed = loadFixture(MIXED_SUITES_RUN);
    for (const cell of mixed.cells.filter((c) => c.outcome === 'delivered-tls')) {
      const profile = mixed.profiles.find((p) => p.name === cell.profile) as RunProfile;
      const headline = outcomeHeadline(cell, profile);
      if (profile.certificate.issuer === 'self') expect(headline, cell.profile).toBe('Delivered to a self-signed certificate');
      else expect(headline, cell.profile).toMatch(/^Delivered over TLS 1\.[23]$/);
    }
  });

  it('without the profile (JUnit, badmx/vitest), the outcome words as before', () => {
    expect(outcomeHeadline(cellOf('builtin:opportunistic', 'expired'))).toBe('TLS 1.3');
    expect(outcomeHeadline(cellOf('builtin:opportunistic', 'no-starttls'))).toBe('Plaintext');
    expect(outcomeHeadline(cellOf('builtin:opportunistic', 'starttls-454'))).toBe('Downgraded → plaintext');
    expect(outcomeHeadline(cellOf('builtin:strict', 'expired'))).toBe('Refused');
  });

  it('a failed cell\'s reason carries its profile\'s risk; a pass, or a run without risks, keeps the policy\'s reason alone', () => {
    const failed = cellOf('builtin:opportunistic', 'expired');
    expect(failureReasonText(failed, { risk: 'Old keys.' })).toBe(`${failed.reason}. Risk: Old keys.`);
    expect(failureReasonText(failed, {})).toBe(failed.reason);
    expect(failureReasonText(failed, undefined)).toBe(failed.reason);
    const passed = cellOf('builtin:strict', 'expired');
    expect(failureReasonText(passed, { risk: 'Old keys.' })).toBe(passed.reason);
  });
});
