import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { markdownText, renderMarkdownTable } from '../../src/report/markdown-table.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN, WAITS, withHostileTlsReports, withWaits } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);

/** A GFM table row's cells: split on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function tableRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('|'));
}

describe('the Markdown table', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: a header, a separator and one row per profile, each with a cell per sender', (_name, run: RunDocument) => {
    const rows = tableRows(renderMarkdownTable(run));
    expect(rows).toHaveLength(run.profiles.length + 2);
    expect(rows[1]).toMatch(/^\|---(\|---)+\|$/);
    for (const row of rows) expect(cells(row)).toHaveLength(run.senders.length + 1);
    const body = rows.slice(2);
    expect(body.filter((r) => r.includes('✘ FAIL'))).not.toHaveLength(0);
    expect(body.join('\n').match(/✘ FAIL/g)).toHaveLength(run.summary.fail);
    expect(body.join('\n').match(/✔ PASS/g)).toHaveLength(run.summary.pass);
  });

  it('reads like the terminal matrix: verdict word, outcome, how', () => {
    const rows = tableRows(renderMarkdownTable(demo));
    expect(rows[0]).toBe('| Receiver | builtin:opportunistic | builtin:strict |');
    expect(cells(rows.find((r) => r.includes('starttls-454')) ?? '')).toEqual([
      '**STARTTLS refused (454)** · starttls-454 · expected: do not deliver',
      '✘ FAIL Downgraded to plaintext after STARTTLS 454 (delivered in the clear)',
      '✔ PASS Refused: no usable STARTTLS (held the mail after STARTTLS 454)',
    ]);
    // The headline names the fault the sender met, not only the TLS version (issue 19).
    expect(cells(rows.find((r) => r.includes('tls1.0')) ?? '')).toEqual([
      '**TLS 1.0 only** · tls1.0 · expected: do not deliver',
      '✘ FAIL Delivered over TLS 1.0 (retired) (AES128-SHA)',
      '✔ PASS Refused at the TLS handshake (alert protocol_version)',
    ]);
    expect(cells(rows.find((r) => r.includes(' · expired · ')) ?? '')[1]).toBe('✘ FAIL Delivered to an expired certificate (TLS 1.3, TLS_AES_256_GCM_SHA384)');
  });

  it('has a summary line, a legend, the senders with their notes, and why each failing cell failed', () => {
    const md = renderMarkdownTable(demo);
    expect(md).toContain('**16 pass, 12 fail** of 28 cells.');
    expect(md).toMatch(/^Legend: ✔ PASS: .*✘ FAIL: it did not\./m);
    expect(md).toContain('- builtin:strict (built-in sender, `builtin:strict`): STARTTLS required, TLS 1.2 and up');
    expect(md).toContain('<details><summary>Why the 12 failing cells failed</summary>');
    expect(md.match(/^- builtin:opportunistic × /gm)).toHaveLength(12);
  });

  it('escapes pipes, markup and line breaks from run.json, and marks unsettled cells', () => {
    const md = renderMarkdownTable(hostile);
    expect(tableRows(md)[0]).toContain('vendor "relay" \\| \\<b\\>x\\</b\\>, 1');
    // every "<" from run.json is backslash-escaped, so none can open raw HTML (only the report's own <details> may)
    expect(md).not.toMatch(/(?<!\\)<(?!\/?details>|\/?summary>)/);
    expect(md).toContain('Strict (the HIPAA reading) &amp; \\<em\\>no\\</em\\> plaintext');
    // the reason with a line break stays on its bullet's line
    expect(md).toContain('no-starttls: delivered in plaintext, but must not deliver: "quoted", comma \\| pipe second line');
    expect(md).toContain('**7 pass, 18 fail, 17 inconclusive** of 42 cells; 5 unsettled.');
    expect(tableRows(md).join('\n').match(/ \\\*/g)).toHaveLength(hostile.summary.unsettled);
    expect(md).toContain('\\*: unsettled, the deadline came before the sender had finished.');
  });

  it('markdownText leaves plain words alone and neutralizes what would become markup', () => {
    expect(markdownText('TLS 1.3 delivered')).toBe('TLS 1.3 delivered');
    expect(markdownText('handshake_failure')).toBe('handshake_failure');
    expect(markdownText('_x_ *y* [a](b) `c` ~d~ <i>&lt;')).toBe('\\_x\\_ \\*y\\* \\[a\\](b) \\`c\\` \\~d\\~ \\<i\\>&amp;lt;');
    expect(markdownText(HOSTILE.controlHelo)).toBe('evil\\\\x01\\\\x1b\\[31mred');
  });
});

describe('markdown table: inconclusive cells', () => {
  it('marks each with ⊘ and the word, says why in the cell, and counts them in the summary', () => {
    const md = renderMarkdownTable(hostile);
    const body = tableRows(md).slice(2).join('\n');
    expect(body.match(/⊘ INCONCLUSIVE /g)).toHaveLength(hostile.summary.inconclusive);
    // never with a pass or fail glyph, and not the caveat sign
    expect(body).not.toMatch(/[✔✘] INCONCLUSIVE|⊘ (PASS|FAIL)|⚠/);
    const row = (profile: string): string[] => cells(tableRows(md).find((r) => r.includes(` · ${profile} · `)) ?? '');
    expect(row('sha1-signature')[3]).toBe('⊘ INCONCLUSIVE No attempt (bounced, not for TLS: 5.4.4)');
    expect(row('untrusted-root')[3]).toBe('⊘ INCONCLUSIVE No attempt (submission failed)');
    expect(row('tls1.2')[2]).toBe('⊘ INCONCLUSIVE Refused at the TLS handshake (no control delivered)');
    expect(md).toContain('**7 pass, 18 fail, 17 inconclusive** of 42 cells');
    expect(md).toMatch(/^Legend: ✔ PASS: .*✘ FAIL: it did not\. ⊘ INCONCLUSIVE: not actually tested /m);
  });

  it('lists the sender\'s diagnosis under it, and why each inconclusive cell was not tested with the bounce, escaped', () => {
    const md = renderMarkdownTable(hostile);
    expect(md).toMatch(/^- builtin:strict \(built-in sender, `builtin:strict`\): .*\n {2}- ⊘ \*\*INCONCLUSIVE:\*\* delivered to no control profile, so its refusals prove nothing: it connected to the controls but refused their certificate \(alert unknown_ca\)/m);
    expect(md).toContain('<details><summary>Why the 17 inconclusive cells were not tested</summary>');
    // the diagnosed sender's cells: one bullet naming them, not fourteen
    expect(md).toMatch(/^- builtin:strict × no-starttls, starttls-454, .*, sha1-signature: delivered to no control profile/m);
    const bounced = md.split('\n').find((l) => l.startsWith('- vendor') && l.includes('× sha1-signature')) ?? '';
    expect(bounced).toContain('Host not found: "mx.sha1-signature" \\| name=\\<b\\>x\\</b\\>, type=A \\\\x01\\\\x1b\\[31mred');
    expect(bounced).toContain("; the sender's bounce: failed 5.4.4 (dns; \\<i\\>mx\\</i\\>.sha1-signature.badmx.test)");
    // hostile markup stays text: no raw "<" but the report's own details/summary
    expect(md).not.toMatch(/(?<!\\)<(?!\/?details>|\/?summary>)/);
    // eslint-disable-next-line no-control-regex
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('says nothing of inconclusive when nothing is', () => {
    const md = renderMarkdownTable(demo);
    expect(md).not.toMatch(/INCONCLUSIVE|inconclusive|⊘/);
  });
});

describe('markdown table: certificate caveats', () => {
  it('marks a caveated cell with ⚠ and lists its caveat, escaped; nothing without caveats', () => {
    expect(renderMarkdownTable(demo)).not.toContain('⚠');
    const caveat = 'chains to the badmx test root | not *trusted*';
    const run: RunDocument = { ...demo, cells: demo.cells.map((c) => (c.profile === 'tls1.2' && c.sender === 'builtin:strict' ? { ...c, caveat } : c)) };
    const markdown = renderMarkdownTable(run);
    const row = tableRows(markdown).find((line) => line.includes('tls1.2')) ?? '';
    expect(cells(row)[2]).toMatch(/ ⚠$/);
    expect(cells(row)[1]).not.toContain('⚠');
    expect(markdown).toContain('- builtin:strict × tls1.2: chains to the badmx test root \\| not \\*trusted\\*');
  });
});

describe('markdown table: how long unsettled cells were waited for', () => {
  it('marks the cell with \\*, lists how long it was waited for and why that was not enough, and the sender\'s stated retries, escaped', () => {
    const md = renderMarkdownTable(withWaits(demo));
    const row = tableRows(md).find((line) => line.includes(` · ${WAITS.unsettledProfile} · `)) ?? '';
    expect(cells(row)[2]).toMatch(/ \\\*$/);
    expect(md).toContain('<details><summary>How long the 1 unsettled cell was waited for, and why that was not enough</summary>');
    expect(md).toContain(`- builtin:strict × expired: waited 1 min: the stated retries run to 16 min, longer than the 1 min --wait: a retry after it could still deliver \\<b\\>late\\</b\\> \\| \\\\x07`);
    expect(md).toMatch(new RegExp(`^- builtin:strict \\(built-in sender, \`builtin:strict\`\\): .*; retries as stated: ${WAITS.retriesText.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(md).not.toMatch(/(?<!\\)<(?!\/?details>|\/?summary>)/);
    // settled cells are not listed, and a run without unsettled cells says nothing of waits
    expect(md).not.toContain('× tls1.3: ');
    expect(renderMarkdownTable(demo)).not.toMatch(/unsettled|waited|retries as stated/);
  });

  it('a run from before waits were recorded: its unsettled cells, grouped, with what it can say', () => {
    const md = renderMarkdownTable(hostile);
    expect(md).toContain('<details><summary>How long the 5 unsettled cells were waited for, and why that was not enough</summary>');
    expect(md).toMatch(/^- vendor .* × tls1\.3, self-signed, expired, wrong-host, incomplete-chain: the deadline came first: recorded by a badmx that did not say what settled a cell$/m);
  });
});

/** Each GFM table of a document: runs of consecutive lines that start with a pipe. */
function tables(markdown: string): string[][] {
  const out: string[][] = [];
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    if (current === null) {
      current = [];
      out.push(current);
    }
    current.push(line);
  }
  return out;
}

describe('markdown table: profiles grouped by suite', () => {
  const sts = loadFixture(MTA_STS_RUN);
  const mixed = loadFixture(MIXED_SUITES_RUN);

  it('a run of the study\'s profiles alone: one table, no suite heading, as before suites', () => {
    for (const run of [demo, hostile]) {
      const md = renderMarkdownTable(run);
      expect(tables(md)).toHaveLength(1);
      expect(md).not.toMatch(/^#### /m);
      expect(md).not.toMatch(/policy host|TLS report/);
    }
  });

  it('a run of both suites: a heading, its question and a table per suite, the study\'s first, each row with its profile\'s title', () => {
    const md = renderMarkdownTable(mixed);
    const headings = md.split('\n').filter((l) => l.startsWith('#### '));
    expect(headings).toEqual(["#### The study's receivers", '#### Receivers that declare a policy: MTA-STS (RFC 8461)', '#### TLS reports (RFC 8460)']);
    const [study = [], policy = []] = tables(md);
    expect(study.slice(2).map((r) => cells(r)[0])).toEqual([
      '**No STARTTLS** · no-starttls · expected: deliver',
      '**TLS 1.3, valid certificate (control)** · tls1.3 · expected: deliver over TLS',
      '**Self-signed certificate** · self-signed · expected: deliver over TLS',
    ]);
    expect(policy[0]).toBe('| Receiver | builtin:mta-sts | builtin:opportunistic |');
    expect(cells(policy.find((r) => r.includes(' · sts-enforce-self-signed · ')) ?? '')).toEqual([
      '**MTA-STS enforce, self-signed certificate** · sts-enforce-self-signed · expected: do not deliver',
      '✔ PASS Refused at the TLS handshake (held the mail)',
      '✘ FAIL Delivered to a self-signed certificate (TLS 1.3, TLS_AES_256_GCM_SHA384)',
    ]);
    // the question under each heading, before its table
    expect(md).toMatch(/^#### The study's receivers\n\nThe Paubox study's misconfigured receivers, .*\n\n\| Receiver \|/m);
    expect(md).toMatch(/^#### Receivers that declare a policy: MTA-STS \(RFC 8461\)\n\nEach domain publishes an MTA-STS policy .*\n\n\| Receiver \|/m);
    // every cell once, counted as before
    const matrices = tables(md).slice(0, 2).flatMap((t) => t.slice(2)).join('\n');
    expect(matrices.match(/✔ PASS/g)).toHaveLength(mixed.summary.pass);
    expect(matrices.match(/✘ FAIL/g)).toHaveLength(mixed.summary.fail);
    expect(md).toContain(`**${mixed.summary.pass} pass, ${mixed.summary.fail} fail** of ${mixed.summary.cells} cells.`);
  });

  it('a run of the MTA-STS suite alone: its heading and one table of its nine receivers', () => {
    const md = renderMarkdownTable(sts);
    expect(md).not.toContain("The study's receivers");
    expect(md).toContain('#### Receivers that declare a policy: MTA-STS (RFC 8461)');
    expect(tables(md)[0]).toHaveLength(sts.profiles.length + 2);
  });

  it('says what each policy host saw of each sender: its fetch, or that it never fetched the policy, and what may be another sender\'s', () => {
    const md = renderMarkdownTable(sts);
    expect(md).toContain('<details><summary>What the MTA-STS policy hosts saw of each sender</summary>');
    const bullets = md.split('\n').filter((l) => /^- builtin:[a-z-]+ × sts-/.test(l) && !/must not deliver/.test(l));
    expect(bullets).toHaveLength(sts.cells.length);
    expect(bullets).toContain(
      '- builtin:mta-sts × sts-enforce-valid: policy fetched over TLSv1.3 (HTTP 200) at 15:45:41 UTC; ' +
        'policy host request over TLSv1.3 (HTTP 201: no policy handed over) at 15:45:41 UTC (not attributable to one sender: several ran side by side); ' +
        'TLS-RPT report posted (HTTP 201) at 15:45:41 UTC (not attributable to one sender: several ran side by side)',
    );
    expect(bullets.find((b) => b.startsWith('- builtin:opportunistic × sts-enforce-no-starttls: '))).toMatch(/: never fetched the policy; /);
    expect(bullets).toContain('- builtin:mta-sts × sts-policy-unreachable: never fetched the policy: its policy host is unreachable by design, so no attempt can be seen');
    // the study's cells have no policy host
    expect(renderMarkdownTable(mixed).split('\n').filter((l) => /^- builtin:[a-z-]+ × (no-starttls|tls1\.3|self-signed): /.test(l))).toEqual([]);
  });
});

describe('markdown table: TLS reports (RFC 8460)', () => {
  const sts = loadFixture(MTA_STS_RUN);

  it('lists who reported and who never did, then one row per reported policy: sender, via, profile, result types with counts, successful, failed', () => {
    const md = renderMarkdownTable(sts);
    expect(md).toMatch(
      /^#### TLS reports \(RFC 8460\)\n\n- builtin:mta-sts sent 16 TLS reports \(7 by HTTPS POST, 9 by mail\) about 9 of the 9 domains that ask for them\n- builtin:opportunistic sent no TLS report\n\n\| Sender \| Via \| Received \| Profile \| Result types \| Successful \| Failed \|$/m,
    );
    const table = tables(md).at(-1) ?? [];
    expect(table).toHaveLength(2 + (sts.tlsReports ?? []).reduce((n, r) => n + r.policies.length, 0));
    for (const row of table) expect(cells(row)).toHaveLength(7);
    expect(cells(table.find((r) => r.includes('| HTTPS POST |') && r.includes('| sts-enforce-no-starttls |')) ?? '')).toEqual([
      'builtin:mta-sts',
      'HTTPS POST',
      '15:45:41 UTC',
      'sts-enforce-no-starttls',
      'starttls-not-supported ×1 at mx.sts-enforce-no-starttls.badmx.test',
      '0',
      '1',
    ]);
    expect(cells(table.find((r) => r.includes('| sts-policy-bad-certificate |')) ?? '').slice(1)).toEqual(['mail', '15:45:42 UTC', 'sts-policy-bad-certificate', 'sts-webpki-invalid ×1', '1', '1']);
  });

  it('escapes what a report carries, marks a result type RFC 8460 does not define, and lists an invalid report with why', () => {
    const md = renderMarkdownTable(withHostileTlsReports(sts));
    expect(md).not.toMatch(/(?<!\\)<(?!\/?details>|\/?summary>)/);
    // eslint-disable-next-line no-control-regex
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    const table = tables(md).at(-1) ?? [];
    for (const row of table) expect(cells(row)).toHaveLength(7);
    const foreign = cells(table.at(-1) ?? '');
    expect(foreign[0]).toBe('no sender of this run named (from "\\>\\<img src=x onerror="window.\\_\\_badmxPwned=5"\\>@evil.example)');
    expect(foreign[3]).toBe('elsewhere.\\<i\\>example\\</i\\> (not a profile of this run)');
    expect(foreign[4]).toBe('\\<script\\>window.\\_\\_badmxPwned=6\\</script\\> \\| x\\\\x1b\\[31m (not an RFC 8460 result type) ×2 at mx.\\<b\\>evil\\</b\\>.example');
    expect(cells(table.at(-2) ?? '')).toEqual(['builtin:opportunistic', 'HTTPS POST', '15:31:01 UTC', '—', 'not a valid report: not JSON: unexpected "\\<" at 0 \\| \\<i\\>x\\</i\\>', '—', '—']);
    expect(md).toContain(`- 1 TLS report named no sender of this run (from "\\>\\<img src=x onerror="window.\\_\\_badmxPwned=5"\\>@evil.example)`);
  });

  it("each failing cell that was delivered says what the receiver's own Received stamp stated, and by which words", () => {
    const run = loadRunDocument(join(import.meta.dirname, '../../reports/reference/run.json')).document;
    const md = renderMarkdownTable(run);
    const stamped = run.cells.filter((c) => c.verdict === 'fail' && (c.hops?.length ?? 0) > 0);
    expect(stamped.length).toBeGreaterThan(100);
    const lines = md.split('\n').filter((line) => line.startsWith('  - its Received stamp: '));
    expect(lines).toHaveLength(stamped.length);
    expect(lines).toContain('  - its Received stamp: with ESMTP: no TLS (stated by keyword: ESMTP)');
    expect(lines.some((line) => /^ {2}- its Received stamp: with ESMTPS: TLSv1\.0 \S+ \(\d+ bits\) \(stated by comment: version=TLSv1\.0 /.test(line))).toBe(true);
  });
});
