import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReceived } from '../../src/evidence/parse-received.js';
import type { ReceivedHop } from '../../src/evidence/received-hop.js';

interface CorpusEntry {
  source: string;
  mta: string;
  field: string;
  note?: string;
  expected: Partial<Omit<ReceivedHop, 'from' | 'by'>> & { from?: Partial<ReceivedHop['from']>; by?: Partial<ReceivedHop['by']> };
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/received-corpus.json', import.meta.url), 'utf8')) as { fields: CorpusEntry[] };

describe('Received corpus: real fields from public sources', () => {
  it('is a corpus worth the name: 40+ fields, every one cited, many MTAs', () => {
    expect(corpus.fields.length).toBeGreaterThanOrEqual(40);
    for (const entry of corpus.fields) expect(entry.source, entry.field).toMatch(/\S{10,}/);
    const families = new Set(corpus.fields.map((e) => e.mta.split(/[ (]/)[0]));
    for (const mta of ['Postfix', 'Exim', 'Sendmail', 'OpenSMTPD', 'Microsoft', 'Gmail', 'qmail', 'qpsmtpd', 'Haraka', 'Courier']) {
      expect(families, mta).toContain(mta);
    }
  });

  it.each(corpus.fields.map((entry) => [`${entry.mta}: ${entry.field.replace(/\s+/g, ' ').slice(0, 90)}`, entry] as const))('%s', (_, entry) => {
    const hop = parseReceived(entry.field);
    expect(hop).toMatchObject(entry.expected);
    // raw is the unfolded value: no line breaks survive.
    expect(hop.raw).not.toMatch(/[\r\n]/);
  });
});
