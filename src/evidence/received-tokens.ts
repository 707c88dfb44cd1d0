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

const SPACE = new Set([' ', '\t', '\r', '\n', '\f', '\v']);
/** Characters that end an atom. */
const SPECIAL = new Set(['(', ')', '"', '[', ']', '<', '>', ';', ',']);

export function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    const c = value[i] as string;
    if (SPACE.has(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      const end = commentEnd(value, i);
      tokens.push({ kind: 'comment', text: value.slice(i + 1, end.inner) });
      i = end.next;
      continue;
    }
    if (c === '"') {
      const parts: string[] = [];
      let j = i + 1;
      while (j < n && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < n) j++;
        parts.push(value[j] as string);
        j++;
      }
      tokens.push({ kind: 'quoted', text: parts.join('') });
      i = j + 1;
      continue;
    }
    if (c === '[') {
      let j = value.indexOf(']', i + 1);
      j = j < 0 ? n : j + 1;
      // A port glued to the literal ("[192.0.2.1]:25", some MTAs write it) stays with it.
      while (j < n && !SPACE.has(value[j] as string) && !SPECIAL.has(value[j] as string)) j++;
      tokens.push({ kind: 'literal', text: value.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '<') {
      const j = value.indexOf('>', i + 1);
      const end = j < 0 ? n : j;
      tokens.push({ kind: 'angle', text: value.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if (c === ';') {
      tokens.push({ kind: 'semicolon' });
      i++;
      continue;
    }
    if (c === ',') {
      tokens.push({ kind: 'comma' });
      i++;
      continue;
    }
    if (c === ')' || c === ']' || c === '>') {
      tokens.push({ kind: 'stray', text: c });
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && !SPACE.has(value[j] as string) && !SPECIAL.has(value[j] as string)) j++;
    tokens.push({ kind: 'atom', text: value.slice(i, j) });
    i = j;
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
