import { retriesText, senderKind } from './sender-kind.js';
import type { Cell, RunDocument } from '../document/run-document.js';
import { INCONCLUSIVE_GLYPH, inconclusiveCause, outcomeDetail, outcomeHeadline, settleLine, tallyText, unsettledWait, verdictCounts, verdictLabel } from './cell-label.js';
import { escapeMarkup, oneLine } from './escape.js';
import { utc } from './format-time.js';
import { buildMatrix, expectationLabel } from './matrix-model.js';
import type { Renderer } from './renderer.js';

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
const ROW_H = 54;

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

function cellBox(cell: Cell | null, left: number, top: number, sender: string, profile: string): string {
  const w = COL_W - 12;
  const h = ROW_H - 10;
  const bx = left + 6;
  const by = top + 5;
  if (!cell) {
    return `<g class="cell" data-sender="${x(sender)}" data-profile="${x(profile)}" data-verdict="none"><rect x="${r(bx)}" y="${r(by)}" width="${w}" height="${h}" rx="6" fill="#f2f2f2" stroke="${RULE}"/><text x="${r(bx + 12)}" y="${r(by + 27)}" class="small">no probe (run stopped early)</text></g>`;
  }
  const verdict = cell.verdict;
  // An inconclusive cell leads with why it was not tested; its outcome follows the word.
  const headline = verdict === 'inconclusive' ? capitalized(inconclusiveCause(cell)) : outcomeHeadline(cell);
  // The verdict word and the unsettled marker (with how long was waited) go before the detail, so truncation never cuts them.
  const wait = unsettledWait(cell);
  const detail = `${verdictLabel(cell)}${cell.settled ? '' : ` · unsettled${wait !== null ? `, ${wait}` : ''}`} · ${outcomeDetail(cell)}`;
  // The tooltip carries the rest: for an unsettled cell, how long was waited and why that was not enough.
  const why = `${verdict === 'inconclusive' ? (cell.inconclusive?.detail ?? cell.reason) : cell.reason}${cell.settled ? '' : `; ${settleLine(cell)}`}`;
  const textLeft = bx + 38;
  const textW = w - 46;
  return (
    `<g class="cell" data-sender="${x(sender)}" data-profile="${x(profile)}" data-verdict="${cell.verdict}">` +
    `<title>${x(`${sender} × ${profile}: ${verdictLabel(cell)}, ${why}`)}</title>` +
    `<rect x="${r(bx)}" y="${r(by)}" width="${w}" height="${h}" rx="6" fill="${FILL[verdict]}" stroke="${INKS[verdict]}" stroke-width="1.5"${cell.settled ? '' : ' stroke-dasharray="5 3"'}/>` +
    icon(verdict, bx + 19, by + h / 2) +
    `<text x="${r(textLeft)}" y="${r(by + 19)}" class="headline ${verdict}">${x(fit(headline, textW, 14, true))}</text>` +
    `<text x="${r(textLeft)}" y="${r(by + 35)}" class="small">${x(fit(detail, textW, 11.5))}</text>` +
    `</g>`
  );
}

export function renderSvgInfographic(run: RunDocument): string {
  const matrix = buildMatrix(run);
  const columns = Math.max(matrix.senders.length, 1);
  const width = Math.max(PAD * 2 + LABEL_W + columns * COL_W, 820);
  const inner = width - PAD * 2;
  const body: string[] = [];

  let y = PAD + 26;
  const title = 'What senders do at misconfigured mail servers';
  body.push(`<text x="${PAD}" y="${y}" class="title">${x(fit(title, inner, 24, true))}</text>`);
  y += 26;
  for (const line of wrap(`Judged against policy “${run.policy.name}”: ${run.policy.title}`, inner, 14, 3)) {
    body.push(`<text x="${PAD}" y="${y}" class="subtitle">${x(line)}</text>`);
    y += 19;
  }
  y += 14;

  // Column headers: sender label, kind, and that sender's tally.
  const tableTop = y;
  matrix.senders.forEach((sender, i) => {
    const left = PAD + LABEL_W + i * COL_W;
    const cells = matrix.rows.map((row) => row.cells[i]).filter((c): c is Cell => c !== null && c !== undefined);
    const tally = tallyText(verdictCounts(cells), ' · ');
    body.push(
      `<g class="sender"><title>${x(`${sender.label}: ${sender.spec}${sender.retries ? `; retries as stated: ${retriesText(sender.retries)}` : ''}${sender.diagnosis ? `; INCONCLUSIVE: ${sender.diagnosis}` : ''}`)}</title>` +
        `<text x="${r(left + 8)}" y="${r(y + 20)}" class="colhead">${x(fit(sender.label, COL_W - 16, 15, true))}</text>` +
        `<text x="${r(left + 8)}" y="${r(y + 38)}" class="small">${x(fit(senderKind(sender), COL_W - 16, 11.5))}</text>` +
        `<text x="${r(left + 8)}" y="${r(y + 54)}" class="small">${x(fit(tally, COL_W - 16, 11.5))}</text>` +
        // A sender that delivered to no control profile: its refusals prove nothing (explained under the legend).
        (sender.diagnosis ? `<text x="${r(left + 8)}" y="${r(y + 70)}" class="small diagnosis">${x(fit(`${INCONCLUSIVE_GLYPH} no control delivered: see below`, COL_W - 16, 11.5))}</text>` : '') +
        `</g>`,
    );
  });
  body.push(`<text x="${PAD}" y="${r(y + 54)}" class="small">Receiver state (expected behaviour)</text>`);
  y += HEADER_H + (matrix.senders.some((s) => s.diagnosis) ? 16 : 0);
  body.push(`<line x1="${PAD}" y1="${r(y)}" x2="${r(width - PAD)}" y2="${r(y)}" stroke="${INK}" stroke-width="1.5"/>`);

  for (const group of matrix.groups) {
    body.push(`<rect x="${PAD}" y="${r(y)}" width="${inner}" height="${GROUP_H}" fill="#f3f3f3"/>`);
    body.push(`<text x="${PAD + 8}" y="${r(y + 20)}" class="group">${x(group.title.toUpperCase())}</text>`);
    y += GROUP_H;
    for (const row of group.rows) {
      body.push(`<text x="${PAD + 8}" y="${r(y + 23)}" class="rowhead">${x(fit(row.profile.title, LABEL_W - 16, 14, true))}</text>`);
      body.push(
        `<text x="${PAD + 8}" y="${r(y + 41)}" class="small">${x(fit(`${row.profile.name} · ${expectationLabel(row.profile.expected)}`, LABEL_W - 16, 11.5))}</text>`,
      );
      row.cells.forEach((cell, i) => body.push(cellBox(cell, PAD + LABEL_W + i * COL_W, y, matrix.senders[i]?.label ?? '', row.profile.name)));
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
    'Plaintext: delivered without TLS. Downgraded → plaintext: delivered in the clear after TLS failed or was refused. TLS 1.x: delivered inside TLS of that version (certificate checks are the policy’s business). Refused: did not deliver.',
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
      `.rowhead{font-size:14px;font-weight:700}.headline{font-size:14px;font-weight:700}.pass{fill:${PASS_INK}}.fail{fill:${FAIL_INK}}.inconclusive{fill:${INCONCLUSIVE_INK}}.small{font-size:11.5px;fill:${MUTED}}` +
      `.legend{font-size:12.5px}.note{font-size:12px;fill:${MUTED}}.diagnosis{fill:${INCONCLUSIVE_INK}}.footer{font-size:11.5px;fill:${MUTED}}</style>`,
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
