/** One header field, unfolded: its name as written and its value without the colon. */
export interface HeaderField {
  name: string;
  value: string;
}

/**
 * The header section of a message or a bare block of headers: everything before the
 * first empty line (RFC 5322 §2.1), CRLF or bare LF line ends alike. A text with no empty
 * line is taken to be all header.
 */
export function headerSection(text: string): string {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  const ends = [crlf, lf].filter((i) => i >= 0);
  // A message that starts with an empty line has an empty header section.
  if (text.startsWith('\r\n') || text.startsWith('\n')) return '';
  return ends.length > 0 ? text.slice(0, Math.min(...ends)) : text;
}

/**
 * The fields of a header section in the order they appear, each unfolded: a line break
 * followed by white space (RFC 5322 §2.2.3 folding) becomes one space, and the value is
 * trimmed. Lines that are neither a field nor a continuation (an mbox "From " line,
 * garbage) end the field before them and are skipped, as are continuations with no field.
 */
export function unfoldFields(section: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let name: string | null = null;
  let parts: string[] = [];
  const flush = (): void => {
    if (name !== null) fields.push({ name, value: parts.join(' ').trim() });
    name = null;
    parts = [];
  };
  for (const line of section.split('\n')) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.startsWith(' ') || text.startsWith('\t')) {
      const more = text.trim();
      if (name !== null && more) parts.push(more);
      continue;
    }
    flush();
    const colon = text.indexOf(':');
    if (colon <= 0) continue;
    // RFC 5322 §3.6.8 field names are printable ASCII without ":"; obsolete syntax
    // (§4.5) allows white space before the colon, which we tolerate and drop.
    const fieldName = text.slice(0, colon).trimEnd();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(fieldName)) continue;
    name = fieldName;
    parts = [text.slice(colon + 1).trim()];
  }
  flush();
  return fields;
}

/**
 * The values of every Received field in the order they appear: newest first, because
 * each MTA prepends its own (RFC 5321 §4.4). Accepts a whole message or a header block.
 */
export function receivedFieldsNewestFirst(message: string): string[] {
  return unfoldFields(headerSection(message))
    .filter((field) => field.name.toLowerCase() === 'received')
    .map((field) => field.value);
}
