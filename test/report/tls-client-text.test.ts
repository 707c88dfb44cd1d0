import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderMarkdownTable } from '../../src/report/markdown-table.js';
import { helloFacts, helloOffers } from '../../src/report/tls-client-text.js';

const run = loadRunDocument(join(import.meta.dirname, '../../reports/reference/run.json')).document;

describe('what each sender offers, in the reports', () => {
  it('merges ClientHellos that differ only in SNI into one offer, losing no connection, profile or name', () => {
    for (const sender of run.senders) {
      const hellos = sender.tlsClient?.hellos ?? [];
      const offers = helloOffers(hellos);
      expect(offers).toHaveLength(new Set(hellos.map((e) => `${e.ja4} ${e.ja3}`)).size);
      expect(offers.reduce((n, o) => n + o.connections, 0)).toBe(hellos.reduce((n, e) => n + e.connections, 0));
      expect(new Set(offers.flatMap((o) => o.profiles))).toEqual(new Set(hellos.flatMap((e) => e.profiles)));
      expect(new Set(offers.flatMap((o) => o.snis))).toEqual(new Set(hellos.map((e) => e.hello.sni)));
    }
  });

  it('names one SNI as it is, many by count and the first two', () => {
    const dane = run.senders.find((s) => s.label === 'postfix:dane');
    const offers = helloOffers(dane?.tlsClient?.hellos ?? []);
    const many = offers.find((o) => o.snis.length > 3);
    expect(many, 'postfix:dane sends SNI to each DANE receiver').toBeDefined();
    const sni = new Map(helloFacts(many ?? offers[0]!)).get('SNI');
    expect(sni).toBe(`${many?.snis.length} names, one per receiver it reached: ${many?.snis[0]}, ${many?.snis[1]} and ${(many?.snis.length ?? 0) - 2} more`);
    const single = helloOffers([dane!.tlsClient!.hellos[0]!]);
    expect(new Map(helloFacts(single[0]!)).get('SNI')).toBe(dane!.tlsClient!.hellos[0]!.hello.sni ?? 'none');
  });

  it('HTML and Markdown show one entry per offer; the octets are on screen and left off paper', () => {
    const offers = run.senders.reduce((n, s) => n + helloOffers(s.tlsClient?.hellos ?? []).length, 0);
    const html = renderHtmlReport(run);
    expect(html.match(/<details class="hello">/g)).toHaveLength(offers);
    expect(html.match(/<div class="octets"><dt>ClientHello octets/g)).toHaveLength(offers);
    const print = html.slice(html.indexOf('@media print{'), html.indexOf('</style>'));
    expect(print).toContain(".octets{display:none}");
    const md = renderMarkdownTable(run);
    expect(md.match(/^ {2}- JA4: /gm)).toHaveLength(offers);
  });
});
