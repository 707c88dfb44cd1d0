import { retriesText, senderKind } from './sender-kind.js';
import type { Cell, RunDocument, RunProfile } from '../document/run-document.js';
import { failureReasonText, INCONCLUSIVE_GLYPH, inconclusiveCause, outcomeDetail, outcomeHeadline, settleLine, tallyText, unsettledWait, verdictCounts, verdictLabel } from './cell-label.js';
import { escapeMarkup, oneLine } from './escape.js';
import { utc } from './format-time.js';
import { buildMatrix, expectationLabel } from './matrix-model.js';
import { givenText, type Renderer, type RenderOptions } from './renderer.js';
import { buildSummaryModel } from './summary-model.js';

/**
 * The comparison infographic: receiver states down the side (grouped: STARTTLS, TLS
 * version, certificate), one column per sender, each cell what happened and whether that
 * passes. Pass, fail and inconclusive (not tested) differ in icon shape, fill pattern and
 * word, never in colour alone, so it survives greyscale printing. Only system fonts, no external references,
 * and a pure function of run.json: the same run gives the same bytes.
 */

export const FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

const PAD = 32;
const LABEL_W = 330;
const COL_W = 260;
const HEADER_H = 64;
const GROUP_H = 30;
const ROW_H = 80;
/** A cell's headline names a fault in words, over three lines at most: a little smaller than the row heads. */
const HEADLINE_SIZE = 12.5;

const INK = '#1a1a1a';
const MUTED = '#555555';
const RULE = '#d0d0d0';
const PASS_FILL = '#e6f4ea';
const PASS_INK = '#1b5e34';
const FAIL_FILL = '#fdeceb';
const FAIL_HATCH = '#f3c2bd';
const FAIL_INK = '#9f1d14';
const INCONCLUSIVE_FILL = '#f1e9fa';
const INCONCLUSIVE_DOT = '#c9b3e6';
const INCONCLUSIVE_INK = '#5b2a86';

type Verdict = Cell['verdict'];

/** Each verdict's box fill (pass solid, fail hatched, inconclusive dotted: they differ in greyscale too) and ink. */
const FILL: Record<Verdict, string> = { pass: PASS_FILL, fail: 'url(#fail-hatch)', inconclusive: 'url(#inconclusive-dots)' };
const INKS: Record<Verdict, string> = { pass: PASS_INK, fail: FAIL_INK, inconclusive: INCONCLUSIVE_INK };

const x = (text: string): string => escapeMarkup(oneLine(text));

/** Advance widths (em) of a Helvetica/Arial-like face, the metric the system font stack falls back to. */
const NARROW = new Set([...'ijlI|.,:;!\'`']);
const SEMI = new Set([...'frt()[]{}-/ ·"*']);
const WIDE = new Set([...'mwMW@%→…—']);

/**
 * A width estimate good enough to wrap and truncate labels: per-glyph classes of a
 * Helvetica-metric face, scaled up to DejaVu Sans, the widest common system face, so nothing overflows anywhere.
 */
function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const c of text) {
    if (NARROW.has(c)) em += 0.26;
    else if (SEMI.has(c)) em += 0.34;
    else if (WIDE.has(c)) em += 0.88;
    else if (c >= 'A' && c <= 'Z') em += 0.68;
    else em += 0.55;
  }
  return em * size * (bold ? 1.16 : 1.1);
}

function fit(text: string, width: number, size: number, bold = false): string {
  if (textWidth(text, size, bold) <= width) return text;
  const chars = [...text];
  let keep = chars.length;
  while (keep > 1 && textWidth(`${chars.slice(0, keep).join('')}…`, size, bold) > width) keep--;
  return `${chars.slice(0, keep).join('')}…`;
}

function wrap(text: string, width: number, size: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of oneLine(text).split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, size) > width && line) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines - 1), fit(lines.slice(maxLines - 1).join(' '), width, size)];
}

/**
 * Every line of a text that may hold no space (a sender label such as
 * `smtp:relay.example:587?tls=required&label=…`), wrapped to a width and never cut: words
 * break after a space or a separator (: / ? & = . , - _ @), and a run of characters wider
 * than the line is split between characters.
 */
export function wrapAll(text: string, width: number, size: number, bold = false): string[] {
  // Bold faces run wider than the estimate (DejaVu Sans Bold lowercase, measured in Chromium): a margin, so a wrapped line never overflows.
  width = bold ? width / 1.3 : width;
  const pieces = oneLine(text).match(/[^\s:/?&=.,\-_@]*(?:[:/?&=.,\-_@]+|\s+|$)/g)?.filter((p) => p !== '') ?? [];
  const lines: string[] = [];
  let line = '';
  const push = (): void => {
    if (line.trim() !== '') lines.push(line.trimEnd());
    line = '';
  };
  for (const piece of pieces) {
    if (textWidth((line + piece).trimEnd(), size, bold) <= width) {
      line += piece;
      continue;
    }
    push();
    for (const c of piece.trimStart()) {
      if (line !== '' && textWidth((line + c).trimEnd(), size, bold) > width) push();
      line += c;
    }
  }
  push();
  return lines.length ? lines : [''];
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

/** A check (pass), a cross (fail) or a slashed ring, ⊘ (inconclusive: not tested), white on the verdict's ink. */
function icon(verdict: Verdict, cx: number, cy: number): string {
  const mark =
    verdict === 'pass'
      ? `M${r(cx - 4.5)} ${r(cy + 0.5)} l3 3 l6 -7`
      : verdict === 'fail'
        ? `M${r(cx - 4)} ${r(cy - 4)} l8 8 M${r(cx + 4)} ${r(cy - 4)} l-8 8`
        : `M${r(cx - 5)} ${r(cy)} a5 5 0 1 0 10 0 a5 5 0 1 0 -10 0 M${r(cx - 3.5)} ${r(cy + 3.5)} l7 -7`;
  return `<circle cx="${r(cx)}" cy="${r(cy)}" r="10" fill="${INKS[verdict]}"/><path d="${mark}" fill="none" stroke="#ffffff" stroke-width="${verdict === 'inconclusive' ? 2 : 2.4}" stroke-linecap="round" stroke-linejoin="round"/>`;
}

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function cellBox(cell: Cell | null, left: number, top: number, sender: string, runProfile: RunProfile): string {
  const profile = runProfile.name;
  const w = COL_W - 12;
  const h = ROW_H - 10;
  const bx = left + 6;
  const by = top + 5;
  if (!cell) {
    return `<g class="cell" data-sender="${x(sender)}" data-profile="${x(profile)}" data-verdict="none"><rect x="${r(bx)}" y="${r(by)}" width="${w}" height="${h}" rx="6" fill="#f2f2f2" stroke="${RULE}"/><text x="${r(bx + 12)}" y="${r(by + 27)}" class="small">no probe (run stopped early)</text></g>`;
  }
  const verdict = cell.verdict;
  // An inconclusive cell leads with why it was not tested; its outcome follows the word.
  // The headline names the fault the sender met (an expired certificate, STARTTLS answered 500), from the cell and its profile.
  const headline = verdict === 'inconclusive' ? capitalized(inconclusiveCause(cell)) : outcomeHeadline(cell, runProfile);
  // The verdict word and the unsettled marker (with how long was waited) go before the detail, so truncation never cuts them.
  const wait = unsettledWait(cell);
  const detail = `${verdictLabel(cell)}${cell.settled ? '' : ` · unsettled${wait !== null ? `, ${wait}` : ''}`} · ${outcomeDetail(cell, runProfile)}`;
  // The tooltip carries the rest: for a failed cell, what it exposes (the profile's risk); for an unsettled one, how long was waited and why that was not enough.
  const why = `${verdict === 'inconclusive' ? (cell.inconclusive?.detail ?? cell.reason) : failureReasonText(cell, runProfile)}${cell.settled ? '' : `; ${settleLine(cell)}`}`;
  const textLeft = bx + 38;
  const textW = w - 46;
  // The headline names a fault in words ("Delivered to an expired certificate"): three lines at most, the rest cut with an ellipsis.
  const all = wrapAll(headline, textW, HEADLINE_SIZE, true);
  const first = all[0] ?? '';
  const heads = all.length <= 3 ? all : [first, all[1] ?? '', fit(oneLine(headline).slice(first.length + (all[1] ?? '').length).trim(), textW, HEADLINE_SIZE, true)];
  return (
    `<g class="cell" data-sender="${x(sender)}" data-profile="${x(profile)}" data-verdict="${cell.verdict}">` +
    `<title>${x(`${sender} × ${profile}: ${verdictLabel(cell)}, ${why}`)}</title>` +
    `<rect x="${r(bx)}" y="${r(by)}" width="${w}" height="${h}" rx="6" fill="${FILL[verdict]}" stroke="${INKS[verdict]}" stroke-width="1.5"${cell.settled ? '' : ' stroke-dasharray="5 3"'}/>` +
    icon(verdict, bx + 19, by + h / 2) +
    heads.map((line, i) => `<text x="${r(textLeft)}" y="${r(by + 17 + i * 15)}" class="headline ${verdict}">${x(fit(line, textW, HEADLINE_SIZE, true))}</text>`).join('') +
    `<text x="${r(textLeft)}" y="${r(by + 18 + heads.length * 15)}" class="small">${x(fit(detail, textW, 11.5))}</text>` +
    `</g>`
  );
}

export function renderSvgInfographic(run: RunDocument, options: RenderOptions = {}): string {
  const matrix = buildMatrix(run);
  const columns = Math.max(matrix.senders.length, 1);
  const width = Math.max(PAD * 2 + LABEL_W + columns * COL_W, 820);
  const inner = width - PAD * 2;
  const body: string[] = [];

  let y = PAD + 26;
  const title = givenText(options.title) ?? 'What senders do at misconfigured mail servers';
  const titleLines = wrapAll(title, inner, 24, true);
  titleLines.forEach((line, i) => body.push(`<text x="${PAD}" y="${r(y + i * 30)}" class="title">${x(line)}</text>`));
  y += 26 + (titleLines.length - 1) * 30;
  const subtitle = givenText(options.subtitle);
  for (const line of subtitle !== null ? wrapAll(subtitle, inner, 14) : []) {
    body.push(`<text x="${PAD}" y="${r(y)}" class="subtitle">${x(line)}</text>`);
    y += 19;
  }
  for (const line of wrap(`Judged against policy “${run.policy.name}”: ${run.policy.title}`, inner, 14, 3)) {
    body.push(`<text x="${PAD}" y="${y}" class="subtitle">${x(line)}</text>`);
    y += 19;
  }
  // The executive summary: one paragraph made of counts of the run's cells (summary-model.ts).
  const model = buildSummaryModel(run);
  y += 6;
  // Wrapped whole, never cut: every number in it is a claim.
  for (const line of wrapAll(model.paragraph, inner, 13)) {
    body.push(`<text x="${PAD}" y="${r(y)}" class="summary">${x(line)}</text>`);
    y += 18;
  }
  y += 14;

  // Column headers: sender label, kind, and that sender's tally.
  const tableTop = y;
  // A long sender label wraps over as many lines as it needs (never cut); every column head grows to the longest.
  const labelLines = matrix.senders.map((sender) => wrapAll(sender.label, COL_W - 16, 15, true));
  const extra = (Math.max(1, ...labelLines.map((lines) => lines.length)) - 1) * 18;
  matrix.senders.forEach((sender, i) => {
    const left = PAD + LABEL_W + i * COL_W;
    const cells = matrix.rows.map((row) => row.cells[i]).filter((c): c is Cell => c !== null && c !== undefined);
    const tally = tallyText(verdictCounts(cells), ' · ');
    body.push(
      `<g class="sender"><title>${x(`${sender.label}: ${sender.spec}${sender.retries ? `; retries as stated: ${retriesText(sender.retries)}` : ''}${sender.diagnosis ? `; INCONCLUSIVE: ${sender.diagnosis}` : ''}`)}</title>` +
        (labelLines[i] ?? []).map((line, k) => `<text x="${r(left + 8)}" y="${r(y + 20 + k * 18)}" class="colhead">${x(line)}</text>`).join('') +
        `<text x="${r(left + 8)}" y="${r(y + 38 + extra)}" class="small">${x(fit(senderKind(sender), COL_W - 16, 11.5))}</text>` +
        `<text x="${r(left + 8)}" y="${r(y + 54 + extra)}" class="small">${x(fit(tally, COL_W - 16, 11.5))}</text>` +
        // A sender that delivered to no control profile: its refusals prove nothing (explained under the legend).
        (sender.diagnosis ? `<text x="${r(left + 8)}" y="${r(y + 70 + extra)}" class="small diagnosis">${x(fit(`${INCONCLUSIVE_GLYPH} no control delivered: see below`, COL_W - 16, 11.5))}</text>` : '') +
        `</g>`,
    );
  });
  body.push(`<text x="${PAD}" y="${r(y + 54 + extra)}" class="small">Receiver state (expected behaviour)</text>`);
  y += HEADER_H + extra + (matrix.senders.some((s) => s.diagnosis) ? 16 : 0);
  // The key numbers strip: each sender's failures by kind, under its own column, each a count of its cells.
  const strips = matrix.senders.map((sender) => {
    const numbers = model.senders.find((s) => s.sender === sender.label);
    if (!numbers) return [];
    return [`FAIL ${numbers.fail} of ${numbers.tests} tests`, ...numbers.failures.map((f) => `${f.count} ${f.short}`), ...(numbers.inconclusive ? [`${numbers.inconclusive} inconclusive`] : [])];
  });
  const stripLines = Math.max(1, ...strips.map((lines) => lines.length));
  body.push(`<text x="${PAD}" y="${r(y + 18)}" class="small">Key numbers (counts of cells)</text>`);
  strips.forEach((lines, i) => {
    const left = PAD + LABEL_W + i * COL_W;
    body.push(
      `<g class="key-numbers" data-sender="${x(matrix.senders[i]?.label ?? '')}">` +
        lines.map((line, j) => `<text x="${r(left + 8)}" y="${r(y + 18 + j * 16)}" class="${j === 0 ? 'keyhead' : 'small'}">${x(fit(line, COL_W - 16, j === 0 ? 12.5 : 11.5, j === 0))}</text>`).join('') +
        `</g>`,
    );
  });
  y += 12 + stripLines * 16;
  body.push(`<line x1="${PAD}" y1="${r(y)}" x2="${r(width - PAD)}" y2="${r(y)}" stroke="${INK}" stroke-width="1.5"/>`);

  for (const group of matrix.groups) {
    body.push(`<rect x="${PAD}" y="${r(y)}" width="${inner}" height="${GROUP_H}" fill="#f3f3f3"/>`);
    body.push(`<text x="${PAD + 8}" y="${r(y + 20)}" class="group">${x(group.title.toUpperCase())}</text>`);
    y += GROUP_H;
    for (const row of group.rows) {
      // The receiver: its title, name and expectation, and what a failure there risks (the rules it touches in the tooltip).
      const { risk, rules } = row.profile;
      body.push(
        `<g class="profile" data-profile="${x(row.profile.name)}">` +
          (risk !== undefined || rules?.length ? `<title>${x([risk ? `Risk: ${risk}` : null, rules?.length ? `Rules: ${rules.join('; ')}` : null].filter((t) => t !== null).join(' '))}</title>` : '') +
          `<text x="${PAD + 8}" y="${r(y + 23)}" class="rowhead">${x(fit(row.profile.title, LABEL_W - 16, 14, true))}</text>` +
          `<text x="${PAD + 8}" y="${r(y + 41)}" class="small">${x(fit(`${row.profile.name} · ${expectationLabel(row.profile.expected)}`, LABEL_W - 16, 11.5))}</text>` +
          (risk !== undefined
            ? wrap(`Risk: ${risk}`, LABEL_W - 16, 11.5, 2)
                .map((line, i) => `<text x="${PAD + 8}" y="${r(y + 57 + i * 14)}" class="small risk">${x(line)}</text>`)
                .join('')
            : '') +
          `</g>`,
      );
      row.cells.forEach((cell, i) => body.push(cellBox(cell, PAD + LABEL_W + i * COL_W, y, matrix.senders[i]?.label ?? '', row.profile)));
      y += ROW_H;
      body.push(`<line x1="${PAD}" y1="${r(y)}" x2="${r(width - PAD)}" y2="${r(y)}" stroke="${RULE}"/>`);
    }
  }
  const tableBottom = y;
  body.unshift(`<rect x="${PAD}" y="${r(tableTop)}" width="${inner}" height="${r(tableBottom - tableTop)}" fill="#ffffff"/>`);

  // Legend: shape, pattern and word for each state; a row that would overflow wraps.
  y += 30;
  const swatch = (lx: number, verdict: Verdict, dashed: boolean): string =>
    `<rect x="${r(lx)}" y="${r(y - 15)}" width="44" height="24" rx="5" fill="${FILL[verdict]}" stroke="${INKS[verdict]}" stroke-width="1.5"${dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
    icon(verdict, lx + 14, y - 3);
  const legend: { verdict: Verdict; dashed: boolean; label: string }[] = [
    { verdict: 'pass', dashed: false, label: 'PASS: did what the policy expects at this receiver' },
    { verdict: 'fail', dashed: false, label: 'FAIL: did not' },
    ...(run.cells.some((c) => c.verdict === 'inconclusive')
      ? [{ verdict: 'inconclusive' as const, dashed: false, label: 'INCONCLUSIVE: not actually tested, neither pass nor fail' }]
      : []),
    ...(run.summary.unsettled > 0 ? [{ verdict: 'pass' as const, dashed: true, label: 'dashed: unsettled, the deadline came first' }] : []),
  ];
  let lx = PAD;
  for (const item of legend) {
    const itemW = 52 + textWidth(item.label, 12.5);
    if (lx > PAD && lx + itemW > width - PAD) {
      lx = PAD;
      y += 32;
    }
    body.push(swatch(lx, item.verdict, item.dashed));
    body.push(`<text x="${r(lx + 52)}" y="${r(y + 1)}" class="legend">${x(item.label)}</text>`);
    lx += itemW + 28;
  }
  y += 24;
  for (const line of wrap(
    'Each cell names what the sender did and the fault it met there: delivered in plaintext; downgraded to plaintext after TLS failed or was refused; delivered to a faulty certificate, over retired TLS or weak cryptography; delivered over TLS 1.x (nothing wrong); refused: did not deliver. Each receiver’s risk is under its name; its rules are in its tooltip.',
    inner,
    12,
    3,
  )) {
    body.push(`<text x="${PAD}" y="${r(y)}" class="note">${x(line)}</text>`);
    y += 17;
  }
  // Why a sender's refusals prove nothing: it delivered to no control profile.
  for (const sender of matrix.senders.filter((s) => s.diagnosis)) {
    for (const line of wrap(`${INCONCLUSIVE_GLYPH} INCONCLUSIVE ${sender.label}: ${sender.diagnosis ?? ''}`, inner, 12, 2)) {
      body.push(`<text x="${PAD}" y="${r(y)}" class="note diagnosis">${x(line)}</text>`);
      y += 17;
    }
  }

  y += 12;
  body.push(`<line x1="${PAD}" y1="${r(y - 14)}" x2="${r(width - PAD)}" y2="${r(y - 14)}" stroke="${RULE}"/>`);
  const footer =
    `badmx ${run.tool.version} · run ${run.run.id} · ${utc(run.run.startedAt)} · zone ${run.run.zone} · ` +
    tallyText({ pass: run.summary.pass, fail: run.summary.fail, inconclusive: run.summary.inconclusive ?? 0 }) +
    (run.summary.unsettled ? `, ${run.summary.unsettled} unsettled` : '') +
    (run.run.status === 'error' ? ' · the run stopped early' : '');
  body.push(`<text x="${PAD}" y="${r(y + 4)}" class="footer">${x(fit(footer, inner, 11.5))}</text>`);
  const height = Math.round(y + 4 + PAD - 8);

  const description =
    `${matrix.rows.length} receiver states × ${matrix.senders.length} senders under policy ${run.policy.name}: ` +
    `${tallyText({ pass: run.summary.pass, fail: run.summary.fail, inconclusive: run.summary.inconclusive ?? 0 })}.`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="infographic-title infographic-desc">`,
    `<title id="infographic-title">${x(`badmx: ${title} (run ${run.run.id})`)}</title>`,
    `<desc id="infographic-desc">${x(description)}</desc>`,
    '<defs>',
    `<pattern id="fail-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="${FAIL_FILL}"/><rect width="2.5" height="8" fill="${FAIL_HATCH}"/></pattern>`,
    `<pattern id="inconclusive-dots" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="${INCONCLUSIVE_FILL}"/><circle cx="4" cy="4" r="1.5" fill="${INCONCLUSIVE_DOT}"/></pattern>`,
    `<style>text{font-family:${FONT_STACK};fill:${INK}}.title{font-size:24px;font-weight:700}.subtitle{font-size:14px;fill:${MUTED}}` +
      `.colhead{font-size:15px;font-weight:700}.group{font-size:12px;font-weight:700;letter-spacing:.08em;fill:${MUTED}}` +
      `.rowhead{font-size:14px;font-weight:700}.headline{font-size:${HEADLINE_SIZE}px;font-weight:700}.pass{fill:${PASS_INK}}.fail{fill:${FAIL_INK}}.inconclusive{fill:${INCONCLUSIVE_INK}}.small{font-size:11.5px;fill:${MUTED}}` +
      `.summary{font-size:13px}.keyhead{font-size:12.5px;font-weight:700}.risk{font-style:italic}.legend{font-size:12.5px}.note{font-size:12px;fill:${MUTED}}.diagnosis{fill:${INCONCLUSIVE_INK}}.footer{font-size:11.5px;fill:${MUTED}}</style>`,
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export const svgInfographic: Renderer = {
  name: 'svg',
  fileName: 'infographic.svg',
  description: 'the comparison infographic: receiver states × senders, pass/fail/inconclusive readable in greyscale',
  render: renderSvgInfographic,
};
