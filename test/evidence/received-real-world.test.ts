import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReceived } from '../../src/evidence/parse-received.js';
import type { HopTlsVersion } from '../../src/evidence/received-hop.js';

/**
 * Issue 20: agreement of the TLS reading with what real Received fields state, over a corpus
 * gathered from sources other than received-corpus.json (see the fixture's description).
 * A field agrees when all three of encrypted (true / false / 'unknown'), version and cipher match.
 */
interface RealWorldEntry {
  source: string;
  mta: string;
  field: string;
  note?: string;
  expected: { encrypted: boolean | 'unknown'; version: HopTlsVersion | null; cipher: string | null };
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/received-real-world.json', import.meta.url), 'utf8')) as { fields: RealWorldEntry[] };

/**
 * Every field on which the parser's reading and the expected reading still differ, keyed by the
 * field's first 120 characters (white space collapsed), with why. The test fails when a field
 * disagrees that is not listed here, and when a listed one has come to agree (remove it then).
 */
const KNOWN_DISAGREEMENTS: ReadonlyMap<string, string> = new Map<string, string>([]);

const key = (field: string): string => field.replace(/\s+/g, ' ').trim().slice(0, 120);

function reading(field: string): RealWorldEntry['expected'] {
  const hop = parseReceived(field);
  return { encrypted: hop.tls.tls, version: hop.tls.version, cipher: hop.tls.cipher };
}

describe('Received TLS reading on real-world fields (issue 20)', () => {
  it('is a corpus worth the name: 200+ fields from 30+ MTAs and providers, every one cited, none a duplicate', () => {
    expect(corpus.fields.length).toBeGreaterThanOrEqual(200);
    const identified = new Set(corpus.fields.map((e) => e.mta).filter((mta) => !mta.startsWith('unidentified')));
    expect(identified.size).toBeGreaterThanOrEqual(30);
    for (const entry of corpus.fields) {
      // repository, path and 40-hex commit; or a page URL
      expect(entry.source, entry.field).toMatch(/^(?:github\.com\/\S+\/\S+ \S+ @ [0-9a-f]{40}\b|https?:\/\/\S{10,})/);
      expect([true, false, 'unknown']).toContain(entry.expected.encrypted);
      if (entry.expected.encrypted !== true) expect([entry.expected.version, entry.expected.cipher], entry.field).toEqual([null, null]);
    }
    const seen = new Set<string>();
    const existing = JSON.parse(readFileSync(new URL('./fixtures/received-corpus.json', import.meta.url), 'utf8')) as { fields: { field: string }[] };
    for (const entry of existing.fields) seen.add(entry.field.replace(/\s+/g, ' ').trim());
    for (const entry of corpus.fields) {
      const text = entry.field.replace(/\s+/g, ' ').trim();
      expect(seen.has(text), text).toBe(false);
      seen.add(text);
    }
  });

  it('agrees on at least 98% of fields, and every remaining disagreement is a listed one', () => {
    const disagreements: string[] = [];
    let agree = 0;
    for (const entry of corpus.fields) {
      const got = reading(entry.field);
      if (got.encrypted === entry.expected.encrypted && got.version === entry.expected.version && got.cipher === entry.expected.cipher) agree++;
      else disagreements.push(key(entry.field));
    }
    expect(agree / corpus.fields.length).toBeGreaterThanOrEqual(0.98);
    expect(disagreements.filter((k) => !KNOWN_DISAGREEMENTS.has(k)), 'new disagreements').toEqual([]);
    expect([...KNOWN_DISAGREEMENTS.keys()].filter((k) => !disagreements.includes(k)), 'listed disagreements that now agree').toEqual([]);
  });

  it('never says "no TLS" for a field that states TLS, nor TLS for one that states none', () => {
    for (const entry of corpus.fields) {
      const got = reading(entry.field).encrypted;
      if (entry.expected.encrypted === true) expect(got, entry.field).not.toBe(false);
      if (entry.expected.encrypted === false) expect(got, entry.field).not.toBe(true);
    }
  });

  it('states a basis for every reading: none exactly when the field states neither', () => {
    for (const entry of corpus.fields) {
      const { tls } = parseReceived(entry.field);
      expect(tls.basis === 'none', entry.field).toBe(tls.tls === 'unknown');
      if (tls.basis === 'none') expect(tls.statement).toBeNull();
      else expect(typeof tls.statement === 'string' && entry.field.replace(/\s+/g, ' ').includes(tls.statement), entry.field).toBe(true);
    }
  });

  it.each(corpus.fields.map((entry) => [`${entry.mta}: ${key(entry.field).slice(0, 90)}`, entry] as const))('%s', (_, entry) => {
    if (KNOWN_DISAGREEMENTS.has(key(entry.field))) return;
    expect(reading(entry.field)).toEqual(entry.expected);
  });
});
