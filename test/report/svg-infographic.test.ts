import { describe, expect, it } from 'vitest';
import { svgSize } from '../../src/report/png-infographic.js';
import { renderSvgInfographic } from '../../src/report/svg-infographic.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, WAITS, withWaits } from '../helpers/report-fixtures.js';
import { descendants, parseXml, textOf } from '../helpers/xml.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);

describe('the SVG infographic', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: well-formed XML with one cell per sender × profile, each with its verdict', (_name, run: RunDocument) => {
    const root = parseXml(renderSvgInfographic(run));
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    const cells = descendants(root).filter((e) => e.name === 'g' && e.attributes.class === 'cell');
    expect(cells).toHaveLength(run.senders.length * run.profiles.length);
    expect(cells.filter((c) => c.attributes['data-verdict'] === 'fail')).toHaveLength(run.summary.fail);
    expect(cells.filter((c) => c.attributes['data-verdict'] === 'pass')).toHaveLength(run.summary.pass);
    expect(cells.filter((c) => c.attributes['data-verdict'] === 'inconclusive')).toHaveLength(run.summary.inconclusive);
    // each (sender, profile) exactly once, matching run.json
    const keys = new Set(cells.map((c) => `${c.attributes['data-sender']}|${c.attributes['data-profile']}`));
    expect(keys.size).toBe(cells.length);
    for (const cell of run.cells) expect(keys.has(`${cell.sender}|${cell.profile}`)).toBe(true);
  });

  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s reads without colour: pass, fail and inconclusive differ in icon shape, fill pattern and word', (_name, run: RunDocument) => {
    const root = parseXml(renderSvgInfographic(run));
    const expected = {
      // a check is one stroke (M l l), a cross two (M l M l), ⊘ a ring (two arcs) and a slash
      pass: { fill: '#e6f4ea', strokes: 1, arcs: 0, word: 'PASS' },
      fail: { fill: 'url(#fail-hatch)', strokes: 2, arcs: 0, word: 'FAIL' },
      inconclusive: { fill: 'url(#inconclusive-dots)', strokes: 2, arcs: 2, word: 'INCONCLUSIVE' },
    };
    for (const cell of descendants(root).filter((e) => e.name === 'g' && e.attributes.class === 'cell')) {
      const want = expected[cell.attributes['data-verdict'] as keyof typeof expected];
      const box = cell.children.find((c) => c.name === 'rect');
      const mark = cell.children.find((c) => c.name === 'path')?.attributes.d ?? '';
      expect(box?.attributes.fill).toBe(want.fill);
      expect((mark.match(/M/g) ?? []).length).toBe(want.strokes);
      expect((mark.match(/a/g) ?? []).length).toBe(want.arcs);
      const text = textOf(cell);
      expect(text).toContain(want.word);
      for (const other of ['PASS', 'FAIL', 'INCONCLUSIVE'].filter((w) => w !== want.word)) expect(text.replace(/^.*?: /, '')).not.toMatch(new RegExp(`\\b${other}\\b`));
    }
  });

  it('inconclusive: its own ink and word, a legend entry, the count in header and footer, and the sender\'s diagnosis', () => {
    const root = parseXml(renderSvgInfographic(hostile));
    const elements = descendants(root);
    const texts = elements.filter((e) => e.name === 'text').map((e) => e.text);
    const inconclusive = elements.filter((e) => e.name === 'g' && e.attributes['data-verdict'] === 'inconclusive');
    expect(inconclusive).toHaveLength(hostile.summary.inconclusive);
    for (const cell of inconclusive) {
      expect(cell.children.find((c) => c.name === 'rect')?.attributes.stroke).toBe('#5b2a86');
      expect(cell.children.find((c) => c.name === 'text')?.attributes.class).toBe('headline inconclusive');
    }
    const bounced = inconclusive.find((c) => c.attributes['data-profile'] === 'sha1-signature' && c.attributes['data-sender'] === HOSTILE.sender);
    expect(bounced?.children.find((c) => c.name === 'title')?.text).toContain(HOSTILE.bounceDiagnostic.replace('\u0001\u001b', '\\x01\\x1b'));
    expect(texts).toContain('Bounced, not for TLS');
    expect(texts).toContain('INCONCLUSIVE: not actually tested, neither pass nor fail');
    expect(texts).toContain('0 pass · 0 fail · 14 inconclusive');
    expect(texts).toContain('⊘ no control delivered: see below');
    expect(texts.at(-1)).toMatch(/ · 7 pass, 18 fail, 17 inconclusive, 5 unsettled$/);
    expect(elements.find((e) => e.name === 'desc')?.text).toMatch(/7 pass, 18 fail, 17 inconclusive\.$/);
    const diagnosis = elements.filter((e) => e.name === 'text' && e.attributes.class === 'note diagnosis').map((e) => e.text).join(' ');
    expect(diagnosis).toMatch(/^⊘ INCONCLUSIVE builtin:strict: delivered to no control profile, so its refusals prove nothing: it connected to the controls but refused their certificate \(alert unknown_ca\)/);
    // nothing of it where nothing is inconclusive
    expect(renderSvgInfographic(demo)).not.toMatch(/INCONCLUSIVE|inconclusive-dots"\/>|⊘/);
  });

  it('the legend wraps rather than run off the right edge', () => {
    for (const run of [demo, hostile]) {
      const svg = renderSvgInfographic(run);
      const { width } = svgSize(svg);
      const legend = descendants(parseXml(svg)).filter((e) => e.name === 'text' && e.attributes.class === 'legend');
      for (const item of legend) expect(Number(item.attributes.x)).toBeLessThan(width - 32);
    }
  });

  it('has a title, the policy as subtitle, groups, a legend and a footer with version and run date', () => {
    const root = parseXml(renderSvgInfographic(demo));
    const texts = descendants(root)
      .filter((e) => e.name === 'text')
      .map((e) => e.text);
    expect(texts[0]).toBe('What senders do at misconfigured mail servers');
    expect(texts.join(' ')).toContain('Judged against policy “strict”: Strict (the HIPAA reading)');
    // the group headings (a wrapped cell headline may end in the word STARTTLS too)
    const groups = descendants(root).filter((e) => e.name === 'text' && e.attributes.class === 'group').map((e) => e.text);
    expect(groups).toEqual(['STARTTLS', 'TLS VERSION', 'CERTIFICATE']);
    expect(texts).toContain('No STARTTLS');
    expect(texts).toContain('TLS 1.0 only');
    expect(texts).toContain('Expired certificate');
    // Headlines name the fault the sender met, from the cell and its profile (issue 19), wrapped over up to three lines.
    const headlines = descendants(root)
      .filter((e) => e.name === 'g' && e.attributes.class === 'cell')
      .map((g) => g.children.filter((c) => c.name === 'text' && (c.attributes.class ?? '').startsWith('headline ')).map((c) => c.text).join(' ').replace(/- /g, '-'));
    for (const headline of ['Delivered in plaintext', 'Downgraded to plaintext after STARTTLS 454', 'Delivered over TLS 1.0 (retired)', 'Delivered over TLS 1.3', 'Refused: no usable STARTTLS', 'Delivered to an expired certificate', 'Delivered to a self-signed certificate'])
      expect(headlines).toContain(headline);
    expect(headlines).not.toContain('TLS 1.3');
    expect(headlines.join(' ')).not.toContain('…');
    expect(texts).toContain('PASS: did what the policy expects at this receiver');
    expect(texts.at(-1)).toBe(`badmx 0.1.0 · run ${demo.run.id} · 2026-11-24 17:04:37 UTC · zone badmx.test · 16 pass, 12 fail`);
    // the legend explains dashed borders only when a cell is unsettled
    expect(texts.join(' ')).not.toContain('unsettled');
    expect(renderSvgInfographic(hostile)).toContain('dashed: unsettled, the deadline came first');
  });

  it('references nothing outside itself and uses a system font stack', () => {
    for (const run of [demo, hostile]) {
      const svg = renderSvgInfographic(run);
      const elements = descendants(parseXml(svg));
      expect(elements.map((e) => e.name)).not.toEqual(expect.arrayContaining(['image', 'script', 'foreignObject', 'use', 'a', 'feImage']));
      for (const e of elements) {
        for (const [name, value] of Object.entries(e.attributes)) {
          expect(name).not.toMatch(/href$/);
          if (/url\(/.test(value)) expect(['url(#fail-hatch)', 'url(#inconclusive-dots)']).toContain(value);
        }
      }
      expect(svg).not.toMatch(/@import|@font-face|https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
      expect(svg).toMatch(/font-family:system-ui, -apple-system, .*sans-serif/);
    }
  });

  it('escapes hostile strings: they parse back as the same text, never as markup', () => {
    const svg = renderSvgInfographic(hostile);
    const elements = descendants(parseXml(svg));
    expect(elements.some((e) => e.name === 'b' || e.name === 'em')).toBe(false);
    const senderTitle = elements.find((e) => e.name === 'title' && e.text.startsWith(HOSTILE.sender));
    expect(senderTitle?.text).toBe(`${HOSTILE.sender}: smtp:127.0.0.1:2626?tls=starttls&label=vendor`);
    const subtitle = elements.filter((e) => e.name === 'text' && e.attributes.class === 'subtitle').map((e) => e.text).join(' ');
    expect(subtitle).toContain('Strict (the HIPAA reading) & <em>no</em> plaintext');
  });

  it('marks unsettled cells with a dashed border and the word', () => {
    const root = parseXml(renderSvgInfographic(hostile));
    const cells = descendants(root).filter((e) => e.name === 'g' && e.attributes.class === 'cell');
    const dashed = cells.filter((c) => c.children.find((r) => r.name === 'rect')?.attributes['stroke-dasharray'] !== undefined);
    expect(dashed).toHaveLength(hostile.summary.unsettled);
    for (const cell of dashed) expect(textOf(cell)).toContain('unsettled');
  });

  it('an unsettled cell says how long was waited, its tooltip why that was not enough; the sender\'s tooltip its stated retries', () => {
    const root = parseXml(renderSvgInfographic(withWaits(demo)));
    const cell = descendants(root).find((e) => e.name === 'g' && e.attributes['data-sender'] === WAITS.sender && e.attributes['data-profile'] === WAITS.unsettledProfile);
    const texts = (cell?.children ?? []).filter((e) => e.name === 'text').map((e) => e.text);
    // before the outcome's detail, so truncation cuts that first
    // the last line, under a headline that may wrap over two
    expect(texts.at(-1)).toMatch(/^PASS · unsettled, waited 1 min\b/);
    const title = cell?.children.find((e) => e.name === 'title')?.text ?? '';
    expect(title).toContain('; unsettled: waited 1 min: the stated retries run to 16 min, longer than the 1 min --wait: a retry after it could still deliver <b>late</b> | ');
    const sender = descendants(root).find((e) => e.name === 'title' && e.text.startsWith(`${WAITS.sender}:`));
    expect(sender?.text).toBe(`${WAITS.sender}: ${WAITS.sender}; retries as stated: ${WAITS.retriesText}`);
    // settled cells say nothing of their wait
    const settled = descendants(root).find((e) => e.name === 'g' && e.attributes['data-sender'] === WAITS.sender && e.attributes['data-profile'] === 'tls1.3');
    expect(textOf(settled as NonNullable<typeof settled>)).not.toMatch(/waited|settled/);
  });

  it('is deterministic: the same run gives the same bytes', () => {
    expect(renderSvgInfographic(loadFixture(DEMO_RUN))).toBe(renderSvgInfographic(demo));
    expect(renderSvgInfographic(loadFixture(HOSTILE_RUN))).toBe(renderSvgInfographic(hostile));
  });
});
