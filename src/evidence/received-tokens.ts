/**
 * The lexical pieces of a Received field value (RFC 5322 §3.2, §3.6.7; RFC 5321 §4.4):
 * atoms, comments (which nest), quoted strings, domain literals, angle addresses and the
 * `;` that separates the clauses from the date.
 *
 * One pass over the input, no backtracking: time is linear in the length of the value
 * whatever it contains, so a hostile field (thousands of `(`, an unterminated literal)
 * costs no more than a friendly one. Nothing here throws: an unterminated comment,
 * quoted string, literal or angle address runs to the end of the value, and a stray
 * closing `)`, `]` or `>` becomes a `stray` token the parser can count as junk.
 */
export type Token =
  | { kind: 'atom'; text: string }
  /** Text between the outermost parentheses, nested comments included verbatim. */
  | { kind: 'comment'; text: string }
  /** Text between the quotes, quoted-pairs unescaped. */
  | { kind: 'quoted'; text: string }
  /** A domain literal, brackets included (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), and anything glued to it (`[192.0.2.1]:25`). */
  | { kind: 'literal'; text: string }
  /** Text between `<` and `>`. */
  | { kind: 'angle'; text: string }
  | { kind: 'semicolon' }
  | { kind: 'comma' }
  | { kind: 'stray'; text: string };

/** Character classes for the ASCII range (anything above is atom text): a table lookup per character keeps the scan cheap. */
const ATOM = 0;
const SPACE = 1;
const SPECIAL = 2;
const CLASS = new Uint8Array(128);
for (const c of ' \t\r\n\f\v') CLASS[c.charCodeAt(0)] = SPACE;
// Characters that end an atom.
for (const c of '()"[]<>;,') CLASS[c.charCodeAt(0)] = SPECIAL;

function classOf(code: number): number {
  return code < 128 ? (CLASS[code] ?? ATOM) : ATOM;
}

/** Index of the first character at or after `from` that ends an atom. */
function atomEnd(value: string, from: number): number {
  let j = from;
  while (j < value.length && classOf(value.charCodeAt(j)) === ATOM) j++;
  return j;
}

export function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    const code = value.charCodeAt(i);
    const kind = classOf(code);
    if (kind === SPACE) {
      i++;
      continue;
    }
    if (kind === ATOM) {
      const j = atomEnd(value, i + 1);
      tokens.push({ kind: 'atom', text: value.slice(i, j) });
      i = j;
      continue;
    }
    const c = value[i] as string;
    if (c === '(') {
      const end = commentEnd(value, i);
      tokens.push({ kind: 'comment', text: value.slice(i + 1, end.inner) });
      i = end.next;
    } else if (c === '"') {
      const parts: string[] = [];
      let j = i + 1;
      while (j < n && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < n) j++;
        parts.push(value[j] as string);
        j++;
      }
      tokens.push({ kind: 'quoted', text: parts.join('') });
      i = j + 1;
    } else if (c === '[') {
      const close = value.indexOf(']', i + 1);
      // A port glued to the literal ("[192.0.2.1]:25", some MTAs write it) stays with it.
      const j = close < 0 ? n : atomEnd(value, close + 1);
      tokens.push({ kind: 'literal', text: value.slice(i, j) });
      i = j;
    } else if (c === '<') {
      const close = value.indexOf('>', i + 1);
      const end = close < 0 ? n : close;
      tokens.push({ kind: 'angle', text: value.slice(i + 1, end) });
      i = end + 1;
    } else if (c === ';') {
      tokens.push({ kind: 'semicolon' });
      i++;
    } else if (c === ',') {
      tokens.push({ kind: 'comma' });
      i++;
    } else {
      // ")", "]" or ">" with nothing open
      tokens.push({ kind: 'stray', text: c });
      i++;
    }
  }
  return tokens;
}

/**
 * Where the comment opened at `start` closes: depth counting with quoted-pairs skipped
 * (RFC 5322 §3.2.2 ccontent). Unterminated: the comment runs to the end of the value.
 */
function commentEnd(value: string, start: number): { inner: number; next: number } {
  let depth = 0;
  for (let j = start; j < value.length; j++) {
    const c = value[j];
    if (c === '\\') {
      j++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return { inner: j, next: j + 1 };
    }
  }
  return { inner: value.length, next: value.length };
}
