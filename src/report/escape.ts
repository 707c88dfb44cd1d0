/**
 * Escaping for text that came from run.json. run.json holds attacker-controllable SMTP
 * data (HELO names, header lines, relay replies), so every string a report shows goes
 * through one of these.
 */

/**
 * Characters XML 1.0 forbids (C0 controls but tab, CR, LF; surrogates; U+FFFE/U+FFFF) and
 * other C0/C1 controls become visible \xNN / \u{N} escapes, as the recorder writes them,
 * so a hand-edited run.json cannot make an XML report ill-formed or hide bytes.
 */
export function visibleControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|\p{Cs}/gu, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

const MARKUP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for HTML, SVG or XML (the same five escapes serve all three). */
export function escapeMarkup(text: string): string {
  return visibleControls(text).replace(/[&<>"']/g, (c) => MARKUP[c] ?? c);
}

/** Line breaks and tabs folded to single spaces: for one-line contexts (table cells, attributes, messages). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\t]+\s*/g, ' ').trim();
}
