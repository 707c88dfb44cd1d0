import { describe, expect, it } from 'vitest';
import { diagnoseSender, type SenderCellFacts } from '../../src/policy/diagnose-sender.js';
import type { VerdictResult } from '../../src/policy/evaluate.js';
import { judgeCell, type CellFacts } from '../../src/policy/judge-cell.js';
import { isTlsRefusal } from '../../src/policy/tls-refusal.js';

const pass: VerdictResult = { verdict: 'pass', expected: 'not-delivered', reason: 'did not deliver: correct' };
const fail: VerdictResult = { verdict: 'fail', expected: 'not-delivered', reason: 'delivered in plaintext, but must not deliver' };
const accepted = { accepted: true, final: false, detail: 'relay accepted: 250 ok', attempts: 1 };

function facts(over: Partial<CellFacts>): CellFacts {
  return { outcome: 'refused-before-tls', connections: 1, settled: true, submission: accepted, bounces: [], ...over };
}

describe('judgeCell: a verdict only from evidence', () => {
  it('a refusal the receiver saw, from a sender whose controls delivered, is judged by the policy', () => {
    expect(judgeCell(facts({}), pass, null)).toEqual({ verdict: 'pass', reason: pass.reason, inconclusive: null });
  });

  it('a delivery is evidence even when the controls failed', () => {
    expect(judgeCell(facts({ outcome: 'delivered-plaintext' }), fail, 'delivered to no control profile').verdict).toBe('fail');
  });

  it('never submitted, submission failed, refused for a non-TLS reason: inconclusive', () => {
    expect(judgeCell(facts({ submission: null, connections: 0, outcome: 'not-attempted' }), pass, null, 'cannot reach relay').inconclusive).toEqual({
      cause: 'not-submitted',
      detail: 'the probe was never handed to the sender (the run stopped: cannot reach relay)',
    });
    const unreachable = { accepted: false, final: true, detail: 'relay not reachable: ECONNREFUSED', attempts: 4, failure: { kind: 'unreachable' as const, code: null } };
    expect(judgeCell(facts({ submission: unreachable, connections: 0, outcome: 'not-attempted' }), pass, null).inconclusive?.cause).toBe('submission-failed');
    const refused = { accepted: false, final: true, detail: 'relay refused: 553 5.1.8 Domain of sender address does not exist', attempts: 1, failure: { kind: 'permanent' as const, code: 553 } };
    const judged = judgeCell(facts({ submission: refused, connections: 0, outcome: 'not-attempted' }), pass, null);
    expect(judged).toMatchObject({ verdict: 'inconclusive', inconclusive: { cause: 'submission-refused' } });
    expect(judged.reason).toContain('553 5.1.8');
  });

  it('a refusal at submission is about the submission channel, never evidence, whatever its words', () => {
    for (const detail of ['relay refused: 530 5.7.0 Must issue a STARTTLS command first', 'command exited 60: curl: (60) SSL certificate problem']) {
      const refused = { accepted: false, final: true, detail, attempts: 1, failure: { kind: 'permanent' as const, code: 530 } };
      expect(judgeCell(facts({ submission: refused, connections: 0, outcome: 'not-attempted' }), pass, null).inconclusive?.cause, detail).toBe('submission-refused');
    }
  });

  it('a managed MTA\'s own final word about the delivery, about TLS, is evidence; about anything else, not', () => {
    const none = { outcome: 'not-attempted' as const, connections: 0, settled: true };
    const tls = { accepted: true, final: true, detail: 'Postfix gave up after 1 attempt(s): TLS is required, but was not offered by host mx', attempts: 1 };
    const dns = { accepted: true, final: true, detail: 'Postfix kept deferring after 3 attempt(s): Host or domain name not found', attempts: 1 };
    expect(judgeCell(facts({ ...none, submission: tls }), pass, null).verdict).toBe('pass');
    expect(judgeCell(facts({ ...none, submission: dns }), pass, null).inconclusive?.cause).toBe('no-attempt');
  });

  it('no control delivered: every refusal is inconclusive with the diagnosis', () => {
    expect(judgeCell(facts({}), pass, 'delivered to no control profile: x')).toMatchObject({ verdict: 'inconclusive', inconclusive: { cause: 'no-control', detail: 'delivered to no control profile: x' } });
  });

  it('never connected: a TLS bounce is evidence, a DNS bounce is not, silence is not', () => {
    const none = { outcome: 'not-attempted' as const, connections: 0, settled: false };
    const tlsBounce = { action: 'failed' as const, status: '5.7.10', diagnostic: 'TLS is required, but was not offered by host mx' };
    const dnsBounce = { action: 'failed' as const, status: '5.4.4', diagnostic: 'Host or domain name not found. Name service error for name=x type=MX' };
    expect(judgeCell(facts({ ...none, settled: true, bounces: [tlsBounce] }), pass, null)).toMatchObject({ verdict: 'pass', reason: expect.stringContaining('TLS is required') as unknown });
    expect(judgeCell(facts({ ...none, settled: true, bounces: [dnsBounce] }), pass, null).inconclusive?.cause).toBe('bounced-untested');
    expect(judgeCell(facts(none), pass, null).inconclusive?.cause).toBe('no-attempt');
    // A delay notice is not a refusal.
    expect(judgeCell(facts({ ...none, bounces: [{ ...tlsBounce, action: 'delayed' }] }), pass, null).inconclusive?.cause).toBe('no-attempt');
  });
});

describe('isTlsRefusal', () => {
  it.each([
    [{ status: '5.7.10' }, true],
    [{ text: '454 4.7.5 Cryptographic failure' }, true],
    [{ text: 'TLS is required, but was not offered by host mx.example' }, true],
    [{ text: 'Server certificate not verified' }, true],
    [{ text: '553 5.1.8 Domain of sender address does not exist' }, false],
    [{ text: '554 5.7.1 Relay access denied' }, false],
    [{ status: '4.4.3', text: 'Host not found, try again' }, false],
    [{ text: 'lost connection with mx.example[192.0.2.1] while performing the EHLO handshake' }, false],
    [{ text: 'TLSA lookup error for mx.example:25' }, false],
    [{ status: '5.7.11', text: 'Encryption required for requested authentication mechanism' }, false],
    [{ text: 'R=dnslookup T=remote_smtp defer (-36): DANE error: tlsa lookup DEFER' }, false],
  ])('%o → %s', (words, expected) => {
    expect(isTlsRefusal(words)).toBe(expected);
  });

  it("a TLSA lookup failure is a DANE refusal only where the profile's TLSA records are bogus on purpose (RFC 7672 §2.1.2)", () => {
    // Postfix 3.7 and Exim 4.96, as their logs say it (test/harness/dane-recipes.test.ts).
    for (const text of ['status=deferred (TLSA lookup error for mx.dane-bogus.badmx.test:25)', 'defer (-36): DANE error: tlsa lookup DEFER']) {
      expect(isTlsRefusal({ text }, { tlsaBogus: true }), text).toBe(true);
      expect(isTlsRefusal({ text }, { tlsaBogus: false }), text).toBe(false);
    }
    expect(isTlsRefusal({ text: 'Host not found, try again' }, { tlsaBogus: true })).toBe(false);
  });
});

describe('diagnoseSender: the controls are canaries', () => {
  const ctx = { caFile: '/certs/ca-bundle.pem', dns: '127.0.2.253', dnsQueries: 0, resolves: true };
  const cellOf = (over: Partial<SenderCellFacts>): SenderCellFacts => ({ control: false, outcome: 'not-attempted', evidence: [], submission: accepted, bounces: [], ...over });

  it('null once a control was delivered', () => {
    expect(diagnoseSender([cellOf({ control: true, outcome: 'delivered-tls' }), cellOf({})], ctx)).toBeNull();
  });

  it('says which: no DNS query seen, no DNS served, refused the certificate, every probe refused', () => {
    expect(diagnoseSender([cellOf({ control: true })], ctx)).toMatch(/never connected to any receiver, and the harness DNS on 127\.0\.2\.253 saw no query/);
    expect(diagnoseSender([cellOf({ control: true })], { ...ctx, dnsQueries: null })).toMatch(/badmx served no DNS in this run/);
    const refusedCert = { tls: null, starttls: 220, tlsFailure: { origin: 'client' as const, alert: 'unknown_ca', reason: 'x' } };
    expect(diagnoseSender([cellOf({ control: true, outcome: 'refused-at-handshake', evidence: [refusedCert] })], ctx)).toBe(
      'delivered to no control profile, so its refusals prove nothing: it connected to the controls but refused their certificate (alert unknown_ca): does it trust /certs/ca-bundle.pem?',
    );
    const refused = { accepted: false, final: true, detail: 'relay refused: 553 5.1.8 nope', attempts: 1, failure: { kind: 'permanent' as const, code: 553 } };
    expect(diagnoseSender([cellOf({ control: true, submission: refused }), cellOf({ submission: refused })], ctx)).toMatch(/it refused every probe \(relay refused: 553/);
    expect(diagnoseSender([cellOf({})], ctx)).toMatch(/no control profile .* was in the run/);
  });
});
