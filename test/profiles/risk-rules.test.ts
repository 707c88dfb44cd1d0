import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../src/profiles/catalogue.js';
import { isControlProfile } from '../../src/profiles/profile-role.js';
import { SUITES } from '../../src/profiles/profile-schema.js';

const catalogue = loadCatalogue();

describe('each profile says once what a failure risks and the rules it touches', () => {
  it('every profile of every suite has a one-line risk and at least one rule, each "<citation>: <what it says>"', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(52);
    for (const suite of SUITES) expect(catalogue.some((p) => p.suite === suite), suite).toBe(true);
    for (const p of catalogue) {
      expect(p.risk, p.name).toMatch(/^\S.*\.$/);
      expect(p.risk, p.name).not.toMatch(/\n/);
      expect(p.rules?.length, p.name).toBeGreaterThan(0);
      for (const rule of p.rules ?? []) expect(rule, p.name).toMatch(/^(RFC \d+|HIPAA 45 CFR|NIST SP \d+-\d+[A-Z]? Rev\. \d|CA\/Browser Forum)[^:]*: \S/);
    }
  });

  it('no two profiles that test different things share a risk word for word, except the controls', () => {
    const risks = new Map<string, string[]>();
    for (const p of catalogue) risks.set(p.risk ?? '', [...(risks.get(p.risk ?? '') ?? []), p.name]);
    const shared = [...risks.entries()].filter(([, names]) => names.length > 1);
    // Controls share "None: ...", and nothing else shares a sentence.
    for (const [risk, names] of shared) {
      expect(risk, names.join(', ')).toMatch(/^None: a receiver configured as it should be \(control\)/);
      for (const name of names) expect(isControlProfile(catalogue.find((p) => p.name === name)!), name).toBe(true);
    }
  });

  it('cites HIPAA transmission security only where the message can be exposed, and RFC 8996 only for TLS 1.0/1.1', () => {
    const cites = (name: string, what: RegExp): boolean => (catalogue.find((p) => p.name === name)?.rules ?? []).some((r) => what.test(r));
    for (const name of ['no-starttls', 'starttls-454', 'handshake-failure', 'tls1.0', 'expired', 'self-signed', 'starttls-500', 'sts-enforce-no-starttls']) expect(cites(name, /^HIPAA/), name).toBe(true);
    for (const name of ['tls1.2', 'tls1.3', 'dane-ee-valid', 'sts-enforce-valid', 'incomplete-chain', 'cbc-only', 'dane-unsigned']) expect(cites(name, /^HIPAA/), name).toBe(false);
    for (const p of catalogue) expect(cites(p.name, /^RFC 8996/), p.name).toBe(['tls1.0', 'tls1.1'].includes(p.name));
  });

  it('risk and rules stay optional for a profile someone adds (the catalogue still loads without them), and are checked when given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-risk-'));
    writeFileSync(join(dir, 'extra.json'), JSON.stringify({ name: 'extra', slot: 40, title: 'Extra', tests: 'Does it?', starttls: 'offer' }));
    expect(loadCatalogue(dir)[0]?.risk).toBeUndefined();
    writeFileSync(join(dir, 'extra.json'), JSON.stringify({ name: 'extra', slot: 40, title: 'Extra', tests: 'Does it?', starttls: 'offer', rules: [''] }));
    expect(() => loadCatalogue(dir)).toThrow(/rules/);
  });
});
