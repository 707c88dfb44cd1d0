import { BadmxError } from '../errors.js';
import { printable } from '../text/printable.js';

/**
 * Just enough MIME to find the report in a TLS-RPT mail (RFC 8460 §5.3): header fields,
 * Content-Type, multipart bodies and the content transfer encodings. The whole message is
 * held as a "latin1" string, one character per byte, so that slicing it never splits or
 * alters a byte: a part's body goes back to exactly the bytes that were sent
 * (Buffer.from(body, 'latin1')), whatever its charset or encoding.
 *
 * Everything here is bounded: the message itself by the caller, nesting by MAX_MIME_DEPTH
 * and the number of parts by MAX_MIME_PARTS, so a hostile message costs a few passes over
 * its own bytes and no more.
 */

/** Multiparts nested deeper than this are refused: a report is one level down, a forwarded one two or three. */
export const MAX_MIME_DEPTH = 8;
/** Parts in one message, at every level together: a report mail has two or three. */
export const MAX_MIME_PARTS = 256;

/** One header field, unfolded (RFC 5322 §2.2.3): its name as written, its value with the line breaks of folding removed. */
export interface MimeField {
  name: string;
  value: string;
}

/** A leaf of the MIME tree: what it says it is, and its body still transfer-encoded. */
export interface MimeLeaf {
  /** IMAP-style part number ("2", "1.2"); "" for the body of a message that is not multipart. */
  path: string;
  /** type/subtype in lower case, e.g. "application/tlsrpt+gzip"; text/plain when the part states none (RFC 2045 §5.2). */
  mediaType: string;
  params: Record<string, string>;
  /** Content-Transfer-Encoding in lower case; "7bit" when absent (RFC 2045 §6.1). */
  encoding: string;
  /** The body as latin1 characters, one per byte. */
  body: string;
}

/** An RFC 5322 field line: printable ASCII but ":" for the name (§3.6.8), then ":"; white space before the colon is obsolete syntax (§4.5.3), tolerated. */
const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Whether a text starts the way a mail message does: a header field, or an mbox "From "
 * separator line before one. RFC 5322 would allow any printable name; real ones are letters,
 * digits and "-", and asking for that keeps `{"a": 1}` from looking like a field.
 */
export function looksLikeMessage(text: string): boolean {
  const first = text.slice(0, 1000).replace(/^From [^\n]*\n/, '');
  return /^[A-Za-z][A-Za-z0-9-]*[ \t]*:/.test(first);
}

/**
 * The header section of a message or a part and where its body begins. The section ends at
 * the first empty line (RFC 5322 §2.1); CRLF and bare LF line ends alike. A continuation
 * line (one that starts with white space) is unfolded into the field before it, by removing
 * the line break only (RFC 5322 §2.2.3). A line that is neither is not a field: an mbox
 * "From " line is skipped, anything else ends nothing and is ignored, as mail readers do.
 */
export function parseHeader(text: string): { fields: MimeField[]; bodyStart: number } {
  const fields: MimeField[] = [];
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const next = newline === -1 ? text.length : newline + 1;
    const line = text.slice(pos, newline === -1 ? text.length : newline).replace(/\r$/, '');
    pos = next;
    if (line === '') return { fields, bodyStart: next };
    const last = fields[fields.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.value += line;
      continue;
    }
    const match = FIELD.exec(line);
    if (match?.[1]) fields.push({ name: match[1], value: line.slice(match[0].length) });
  }
  // No empty line: all of it is header, and the body is empty.
  return { fields, bodyStart: text.length };
}

/** The first field of that name (case-insensitive), trimmed, its bytes read as UTF-8 (RFC 6532 allows it in headers); null when absent. */
export function fieldValue(fields: readonly MimeField[], name: string): string | null {
  const lower = name.toLowerCase();
  const field = fields.find((f) => f.name.toLowerCase() === lower);
  return field === undefined ? null : Buffer.from(field.value, 'latin1').toString('utf8').trim();
}

/**
 * A Content-Type value (RFC 2045 §5.1): type "/" subtype, then parameters, each a token or a
 * quoted-string (RFC 5322 §3.2.4: a backslash quotes the next character). Comments in
 * parentheses may stand between the parts (RFC 2045 §5.1, via RFC 822) and are dropped.
 * Parameter names are case-insensitive; the first of a repeated name counts. Anything
 * unreadable is the default, text/plain (RFC 2045 §5.2).
 */
export function parseContentType(value: string | null): { mediaType: string; params: Record<string, string> } {
  // No prototype: a parameter named "__proto__" is just a parameter.
  const params = Object.create(null) as Record<string, string>;
  if (value === null) return { mediaType: 'text/plain', params };
  const text = withoutComments(value);
  const type = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*\/\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/.exec(text);
  if (!type?.[1] || !type[2]) return { mediaType: 'text/plain', params };
  const param = /;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))\s*/gy;
  for (let at = type[0].length; at < text.length; ) {
    param.lastIndex = at;
    const match = param.exec(text);
    if (match) {
      const name = (match[1] ?? '').toLowerCase();
      const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
      if (!Object.hasOwn(params, name)) params[name] = raw;
      at = param.lastIndex;
      continue;
    }
    // A parameter badmx cannot read ("; charset", a stray quote): skip to the next ";" and read on.
    const next = text.indexOf(';', at + 1);
    if (next === -1) break;
    at = next;
  }
  return { mediaType: `${type[1]}/${type[2]}`.toLowerCase(), params };
}

/** The value with (nested) comments removed, quoted strings left alone. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += value.slice(i, i + 2);
      i++;
    } else if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && depth > 0) {
      depth--;
    } else if (depth === 0) {
      out += c;
      if (c === '"') quoted = true;
    }
  }
  return out;
}

/**
 * The body parts of a multipart body (RFC 2046 §5.1.1). A delimiter is "--" boundary at the
 * start of a line, followed by nothing but white space (transport padding); the close
 * delimiter adds "--". The line break before a delimiter belongs to it, not to the part, so a
 * part ends just before that line break. What precedes the first delimiter (the preamble)
 * and follows the close delimiter (the epilogue) is not a part. A body cut short before its
 * close delimiter keeps its last part up to where it ends: a truncated attachment is then
 * reported as what it is (bad base64, a short gzip), not as a missing boundary.
 */
export function splitMultipart(body: string, boundary: string): string[] {
  const dash = `--${boundary}`;
  const delimiters: { start: number; next: number }[] = [];
  let closed = false;
  for (let at = body.indexOf(dash); at !== -1 && !closed; at = body.indexOf(dash, at + dash.length)) {
    if (at !== 0 && body[at - 1] !== '\n') continue;
    const newline = body.indexOf('\n', at);
    const lineEnd = newline === -1 ? body.length : newline;
    let rest = body.slice(at + dash.length, lineEnd).replace(/\r$/, '');
    const close = rest.startsWith('--');
    if (close) rest = rest.slice(2);
    // "--boundaryX" is another boundary that starts with this one, not a delimiter of it.
    if (!/^[ \t]*$/.test(rest)) continue;
    delimiters.push({ start: at, next: newline === -1 ? body.length : newline + 1 });
    closed = close;
  }
  const parts: string[] = [];
  for (let i = 0; i < delimiters.length; i++) {
    const from = delimiters[i]?.next ?? 0;
    const following = delimiters[i + 1];
    if (following === undefined && closed) break; // the close delimiter starts no part
    let to = following?.start ?? body.length;
    if (following !== undefined) {
      if (body[to - 1] === '\n') to--;
      if (body[to - 1] === '\r') to--;
    }
    parts.push(body.slice(from, Math.max(from, to)));
  }
  return parts;
}

/**
 * Every leaf part of a message, depth first, in order: the parts of each multipart (any
 * subtype) are walked, a message/rfc822 part is a leaf (a forwarded message is not this
 * message's report). `label` names the input in errors.
 */
export function mimeLeaves(message: string, label: string): { fields: MimeField[]; leaves: MimeLeaf[] } {
  const { fields, bodyStart } = parseHeader(message);
  const leaves: MimeLeaf[] = [];
  let partCount = 0;
  const walk = (partFields: MimeField[], body: string, path: string, depth: number): void => {
    const { mediaType, params } = parseContentType(fieldValue(partFields, 'Content-Type'));
    const where = path === '' ? label : `${label}: part ${path}`;
    if (!mediaType.startsWith('multipart/')) {
      const encoding = (fieldValue(partFields, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
      leaves.push({ path, mediaType, params, encoding, body });
      return;
    }
    if (depth >= MAX_MIME_DEPTH) throw new BadmxError(`${where}: multiparts nested more than ${MAX_MIME_DEPTH} deep`, 'ETLSRPT');
    const boundary = params.boundary;
    // RFC 2046 §5.1.1: 1 to 70 characters. Longer ones are still read (and bounded by the message): refusing them would help nobody.
    if (boundary === undefined || boundary === '' || /[\r\n]/.test(boundary)) {
      throw new BadmxError(`${where}: ${mediaType} without a boundary parameter (RFC 2046 §5.1.1)`, 'ETLSRPT');
    }
    const parts = splitMultipart(body, boundary);
    if (parts.length === 0) throw new BadmxError(`${where}: ${mediaType} whose boundary "${printable(boundary, 70)}" never starts a part`, 'ETLSRPT');
    parts.forEach((part, i) => {
      if (++partCount > MAX_MIME_PARTS) throw new BadmxError(`${label}: more than ${MAX_MIME_PARTS} MIME parts`, 'ETLSRPT');
      const header = parseHeader(part);
      walk(header.fields, part.slice(header.bodyStart), path === '' ? String(i + 1) : `${path}.${i + 1}`, depth + 1);
    });
  };
  walk(fields, message.slice(bodyStart), '', 0);
  return { fields, leaves };
}

/**
 * A part's body as the bytes it encodes (RFC 2045 §6): base64, quoted-printable, or one of
 * the identity encodings (7bit, 8bit, binary). `where` names the part in errors.
 */
export function decodeBody(leaf: MimeLeaf, where: string): Buffer {
  switch (leaf.encoding) {
    case '7bit':
    case '8bit':
    case 'binary':
      return Buffer.from(leaf.body, 'latin1');
    case 'base64': {
      // Line breaks and any white space a transport added are not data (RFC 2045 §6.8).
      const compact = leaf.body.replace(/[\s]+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
        throw new BadmxError(`${where}: its base64 holds characters that are not base64 (a damaged or truncated attachment?)`, 'ETLSRPT');
      }
      return Buffer.from(compact, 'base64');
    }
    case 'quoted-printable':
      return decodeQuotedPrintable(leaf.body);
    default:
      throw new BadmxError(`${where}: Content-Transfer-Encoding "${printable(leaf.encoding, 40)}" is not one badmx reads (base64, quoted-printable, 7bit, 8bit, binary)`, 'ETLSRPT');
  }
}

/**
 * Quoted-printable (RFC 2045 §6.7): white space at the end of a line was added in transport
 * and is dropped (rule 3), "=" at the end of a line is a soft line break (rule 5), "=XX" is
 * the byte XX (rule 1). An "=" not followed by two hex digits is kept as it is, as the RFC
 * advises a robust decoder to do.
 */
export function decodeQuotedPrintable(body: string): Buffer {
  const decoded = body
    .replace(/[ \t]+(?=\r?\n|$)/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(decoded, 'latin1');
}
