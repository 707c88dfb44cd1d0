import { unfoldFields, type HeaderField } from './unfold-headers.js';

/**
 * Delivery status notifications ("bounces") read back into the facts badmx needs to tie
 * one to the probe that caused it: per recipient what happened and why, the Message-ID of
 * the returned message, and every address the notice mentions.
 *
 * Two families of notice exist in the wild:
 *  - RFC 3464 DSNs: a multipart/report (RFC 6522) whose message/delivery-status part is
 *    machine-readable. Postfix, Sendmail, Exim (when built with DSN), Microsoft, Amazon
 *    SES and Gmail's newer notices send these, sometimes nested in other multiparts.
 *  - Prose notices that predate or ignore RFC 3464 and are still sent: qmail's QSBMF,
 *    Exim's plain text, old Postfix and Sendmail text, and assorted vendor texts. Those
 *    are read by their own recognisable wording, and a generic reader takes the rest.
 *
 * Everything here is pure and bounded: no I/O, at most MAX_INPUT of the input is looked
 * at, MIME nesting and part counts are capped, and no regular expression is given a
 * chance to backtrack over the whole input (the address scan in particular is a manual,
 * bounded walk). A bounce arrives from whoever can send mail; it must never crash or
 * stall the run that reads it.
 */

export type BounceAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface BounceRecipient {
  action: BounceAction;
  /** RFC 3464 §2.3.4 Status, e.g. "5.7.10"; null when the notice gave none */
  status: string | null;
  /** Final-Recipient / Original-Recipient address (no "rfc822;" prefix), lower case, or null */
  finalRecipient: string | null;
  originalRecipient: string | null;
  /** Remote-MTA name without "dns;" prefix, or null */
  remoteMta: string | null;
  /** Diagnostic-Code text without the "smtp;" type prefix, unfolded to one line, at most 500 chars, or null */
  diagnostic: string | null;
}

export interface ParsedBounce {
  /** 'rfc3464' for multipart/report; report-type=delivery-status, else the name of the non-standard format recognised: 'qmail', 'exim-plain', 'postfix-plain', 'sendmail-plain', 'generic' */
  format: string;
  recipients: BounceRecipient[];
  /** Message-IDs of the original message found in the returned headers (text/rfc822-headers or message/rfc822 part, or quoted text), with angle brackets, e.g. "<probe-x-1@probes.badmx.test>" */
  originalMessageIds: string[];
  /** Every e-mail address mentioned anywhere in the notice (lower case, deduplicated, at most 200): lets a caller match a probe by its recipient or envelope sender even in prose bounces */
  addresses: string[];
  /** Original-Envelope-Id (RFC 3464 §2.2.1) if present */
  envelopeId: string | null;
}

/** The most of the input looked at: bytes of a Buffer, UTF-16 units of a string. */
const MAX_INPUT = 256 * 1024;
/** MIME nesting followed; real notices nest three or four deep (report > alternative > text). */
const MAX_DEPTH = 8;
/** MIME entities visited in all; a notice has a handful, a hostile message may have thousands. */
const MAX_ENTITIES = 256;
const MAX_ADDRESSES = 200;
const MAX_RECIPIENTS = 200;
const MAX_MESSAGE_IDS = 50;
const MAX_DIAGNOSTIC = 500;
/** Characters of a single header value (Content-Type, Subject, From) that are interpreted. */
const MAX_FIELD = 4096;
/** Lines of a Gmail "The response was:" paragraph that are read. */
const MAX_RESPONSE_LINES = 20;
/** RFC 5321 §4.5.3.1.1 caps a local part at 64 octets; VERP senders run longer, so allow twice that. */
const MAX_LOCAL_PART = 128;
/** RFC 5321 §4.5.3.1.2 caps a domain at 255 octets. */
const MAX_DOMAIN = 255;

const ACTIONS: ReadonlySet<string> = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);

/** null when the message is not a delivery status notification at all (an ordinary message). Never throws, for any input (bad MIME, huge input: look at no more than the first 256 KiB). */
export function parseBounce(raw: string | Buffer): ParsedBounce | null {
  try {
    return parseText(inputText(raw));
  } catch {
    // The readers below are written not to throw; this is the last guard of the contract,
    // because one odd message must not stop a caller that is working through a mailbox.
    return null;
  }
}

function inputText(raw: unknown): string {
  let text: string;
  if (typeof raw === 'string') text = raw.length > MAX_INPUT ? raw.slice(0, MAX_INPUT) : raw;
  else if (raw instanceof Uint8Array) text = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, MAX_INPUT)).toString('utf8');
  else return '';
  // CRLF on the wire (RFC 5322 §2.1), LF in mbox files, bare CR from old Mac tools: one
  // line end makes every rule below simpler.
  return text.replace(/\r\n?/g, '\n');
}

// ---------------------------------------------------------------------------------------
// MIME
// ---------------------------------------------------------------------------------------

interface Entity {
  fields: HeaderField[];
  body: string;
}

/** A header field line: printable ASCII without ":" for the name (RFC 5322 §3.6.8), obsolete white space before the colon (§4.5). */
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Header and body of a message or body part. A part that starts with an empty line has
 * no header fields (RFC 2046 §5.1.1); one whose first line is not a field at all is taken
 * to be all body, because some MTAs write a part's text right after the boundary.
 */
function splitEntity(text: string): Entity {
  if (text.startsWith('\n')) return { fields: [], body: text.slice(1) };
  if (!FIELD_START.test(text)) return { fields: [], body: text };
  const end = text.indexOf('\n\n');
  if (end < 0) return { fields: unfoldFields(text), body: '' };
  return { fields: unfoldFields(text.slice(0, end)), body: text.slice(end + 2) };
}

/** An mbox file's "From sender date" separator line is not part of the message. */
function dropMboxSeparator(text: string): string {
  if (!text.startsWith('From ') || FIELD_START.test(text)) return text;
  const end = text.indexOf('\n');
  return end < 0 ? '' : text.slice(end + 1);
}

function fieldValue(fields: HeaderField[], name: string): string {
  const lower = name.toLowerCase();
  return fields.find((field) => field.name.toLowerCase() === lower)?.value ?? '';
}

function fieldValues(fields: HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((field) => field.name.toLowerCase() === lower).map((field) => field.value);
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

/**
 * Content-Type (RFC 2045 §5.1): the type/subtype in lower case and the parameters, names
 * in lower case, quoted values unquoted. A missing or unreadable field means text/plain
 * (RFC 2045 §5.2).
 */
function contentType(fields: HeaderField[]): ContentType {
  // Real values are a few hundred characters; the cap keeps a hostile one from costing
  // a quadratic parameter scan.
  const value = fieldValue(fields, 'content-type').slice(0, MAX_FIELD);
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon))
    .replace(/\([^()]*\)/g, '')
    .trim()
    .toLowerCase();
  const params = new Map<string, string>();
  for (const match of value.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g)) {
    const name = match[1]?.toLowerCase();
    if (name === undefined || params.has(name)) continue;
    params.set(name, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? ''));
  }
  return { type: /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'text/plain', params };
}

/** Charsets whose bytes are Latin-1 or close enough to it for reading prose; anything else is read as UTF-8. */
const LATIN1_CHARSETS = /^(?:us-ascii|ascii|iso-8859-1|iso8859-1|latin1|l1|windows-1252|cp1252)$/;

function bytesToText(bytes: Buffer, charset: string): string {
  return bytes.toString(LATIN1_CHARSETS.test(charset.toLowerCase()) ? 'latin1' : 'utf8');
}

/**
 * Quoted-printable (RFC 2045 §6.7): "=XX" is one octet, "=" at a line end (after optional
 * transport padding) is a soft line break that joins the lines, anything else is itself.
 * A stray "=" that is neither is kept, as rule 1 asks of a robust decoder.
 */
function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) {
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      const soft = /^[ \t]*\n/.exec(text.slice(i + 1, i + 81));
      if (soft) {
        i += soft[0].length;
        continue;
      }
      bytes.push(code);
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      // 8-bit text in a QP part (not legal, but sent): keep it as the UTF-8 we read it as.
      const point = text.codePointAt(i) ?? code;
      for (const byte of Buffer.from(String.fromCodePoint(point), 'utf8')) bytes.push(byte);
      if (point > 0xffff) i++;
    }
  }
  return Buffer.from(bytes);
}

/** A part's body with its Content-Transfer-Encoding (RFC 2045 §6) undone; 7bit, 8bit and binary are as they are. */
function decodeBody(body: string, fields: HeaderField[], charset: string): string {
  const encoding = fieldValue(fields, 'content-transfer-encoding').trim().toLowerCase();
  if (encoding === 'base64') return bytesToText(Buffer.from(body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64'), charset);
  if (encoding === 'quoted-printable') return bytesToText(decodeQuotedPrintable(body), charset);
  return body;
}

/**
 * The body parts of a multipart body (RFC 2046 §5.1.1): a delimiter is "--" boundary at
 * the start of a line, optionally followed by white space; the close delimiter adds "--".
 * The preamble and epilogue are dropped. A missing close delimiter, which truncated
 * notices have, ends the last part at the end of the text.
 */
function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split('\n')) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (rest.startsWith('--')) {
        if (current !== null) parts.push(current.join('\n'));
        return parts;
      }
      if (rest.trim() === '') {
        if (current !== null) parts.push(current.join('\n'));
        current = [];
        continue;
      }
    }
    current?.push(line);
  }
  if (current !== null) parts.push(current.join('\n'));
  return parts;
}

/** What a walk over the MIME tree finds, sorted by what it is good for. */
interface Collected {
  /** Decoded message/delivery-status and message/global-delivery-status bodies of the notice itself. */
  dsnBodies: string[];
  /** Header fields of the returned message (message/rfc822, text/rfc822-headers and their RFC 6533 global forms). */
  returnedHeaders: HeaderField[][];
  /** Decoded text/plain (and other text/*) parts of the notice itself: the prose. */
  texts: string[];
  /** text/html parts of the notice itself, as text: used only when there is no plain text. */
  htmlTexts: string[];
  /**
   * Header values and decoded bodies of every entity visited, returned message included,
   * with Message-ID-like fields left out: what the address scan reads. Decoded, because
   * quoted-printable splits an address over a soft line break ("…-42=\n2f-a8d4…@…") and
   * base64 hides it altogether.
   */
  scan: string[];
  budget: number;
}

/** Fields whose values look like addresses but are message identifiers (RFC 5322 §3.6.4, RFC 2045 §7). */
const ID_FIELDS = /^(?:message-id|in-reply-to|references|content-id|resent-message-id)$/i;

/** A text without the values of Message-ID-like header lines quoted in it. */
function withoutIdLines(text: string): string {
  return text.replace(/^([ \t]*(?:message-id|in-reply-to|references|content-id|resent-message-id)[ \t]*:)[^\n]*(?:\n[ \t]+[^\n]*)*/gim, '$1');
}

/**
 * Walk the MIME tree. Parts inside a returned message (message/rfc822) are not the
 * notice's own: a bounce of a bounce carries the first bounce's delivery-status part,
 * which says nothing about this delivery, so they only feed the address list.
 */
function visit(entity: Entity, depth: number, returned: boolean, into: Collected): void {
  if (into.budget <= 0 || depth > MAX_DEPTH) return;
  into.budget--;
  into.scan.push(
    entity.fields
      .filter((field) => !ID_FIELDS.test(field.name))
      .map((field) => field.value)
      .join('\n'),
  );
  const { type, params } = contentType(entity.fields);
  if (type.startsWith('multipart/')) {
    const parts = splitMultipart(entity.body, params.get('boundary') ?? '');
    // A multipart whose boundary never occurs (no parameter, or a wrong one) is read as
    // the text it is, rather than dropped with everything it says.
    if (parts.length > 0 && params.has('boundary')) {
      for (const part of parts) visit(splitEntity(part), depth + 1, returned, into);
      return;
    }
  }
  const text = decodeBody(entity.body, entity.fields, params.get('charset') ?? '');
  // A delivery-status part may spell a utf-8 address as "pr\x{F6}be@…" (RFC 6533 §3);
  // the scan reads it spelled out.
  if (type === 'message/delivery-status' || type === 'message/global-delivery-status') into.scan.push(decodeEmbeddedUnicode(text));
  else if (type !== 'message/rfc822' && type !== 'message/global') into.scan.push(withoutIdLines(text));
  switch (type) {
    case 'message/rfc822':
    case 'message/global': {
      // RFC 2046 §5.2.1; message/global is its UTF-8 form (RFC 6532 §3.7).
      const inner = splitEntity(text.replace(/^\n+/, ''));
      if (!returned) into.returnedHeaders.push(inner.fields);
      visit(inner, depth + 1, true, into);
      return;
    }
    case 'text/rfc822-headers':
    case 'message/global-headers':
      // RFC 6522 §4: only the header of the returned message; RFC 6533 for the UTF-8 form.
      if (!returned) into.returnedHeaders.push(splitEntity(text.replace(/^\n+/, '')).fields);
      return;
    case 'message/delivery-status':
    case 'message/global-delivery-status':
      // RFC 3464 §2.1 and its UTF-8 form, RFC 6533.
      if (!returned) into.dsnBodies.push(text);
      return;
  }
  if (returned) return;
  if (type === 'text/html') into.htmlTexts.push(htmlToText(text));
  else if (type.startsWith('text/') || type.startsWith('multipart/')) into.texts.push(text);
}

/** Enough of HTML to read a notice's words: tags out, line-ending elements as line ends, common entities decoded. */
function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d|pre|table)\s*>/gi, '\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&(lt|gt|amp|quot|apos|nbsp|#\d{1,7}|#x[0-9a-f]{1,6});/gi, (entity: string, name: string) => {
      const lower = name.toLowerCase();
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };
      if (named[lower] !== undefined) return named[lower];
      const point = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
      return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : entity;
    });
}

/**
 * RFC 2047 encoded-words, so that a Subject sent as "=?iso-2022-jp?B?VW5kZWxpdmVyYWJsZTog…?="
 * still reads "Undeliverable: …". White space between two encoded-words is dropped (§6.2).
 * Charsets Buffer cannot decode are read as Latin-1: the ASCII in them survives.
 */
function decodeEncodedWords(value: string): string {
  return value.replace(/=\?([^?\s]{1,40})\?([BbQq])\?([^?\s]*)\?=(?:\s+(?==\?))?/g, (_word: string, charset: string, encoding: string, data: string) => {
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
    const name = charset.toLowerCase().replace(/\*.*$/, '');
    return bytesToText(bytes, name === 'utf-8' || name === 'utf8' ? 'utf-8' : 'latin1');
  });
}

// ---------------------------------------------------------------------------------------
// Shared value readers
// ---------------------------------------------------------------------------------------

/** A recipient as it is being read, before defaults are applied. */
interface Draft {
  action: BounceAction | null;
  /** Text that carries the status code (the Status field, or a transcript line). */
  status: string | null;
  finalRecipient: string | null;
  originalRecipient: string | null;
  remoteMta: string | null;
  diagnostic: string | null;
}

function draft(fields: Partial<Draft> = {}): Draft {
  return { action: null, status: null, finalRecipient: null, originalRecipient: null, remoteMta: null, diagnostic: null, ...fields };
}

/**
 * The first RFC 3463 enhanced status code (class "." subject "." detail, RFC 3464 §2.3.4)
 * in a text. The look-arounds keep it from being read out of an IP address or a version
 * number ("10.5.1.1", "192.0.2.153"); "#5.1.1", "550-5.7.26" and "(5.0.0)" are found.
 */
function statusCode(text: string | null): string | null {
  if (text === null) return null;
  const match = /(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/.exec(text);
  return match ? `${match[1]}.${match[2]}.${match[3]}` : null;
}

function actionOfStatus(status: string | null): BounceAction | null {
  if (status === null) return null;
  if (status.startsWith('5')) return 'failed';
  if (status.startsWith('4')) return 'delayed';
  return 'delivered';
}

/** One line, single spaces, at most MAX_DIAGNOSTIC characters; null when nothing is left. */
function cleanDiagnostic(text: string | null): string | null {
  if (text === null) return null;
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return null;
  return line.length > MAX_DIAGNOSTIC ? line.slice(0, MAX_DIAGNOSTIC).trimEnd() : line;
}

/**
 * RFC 3464 §2.1.2 "type;" sub-fields ("rfc822;", "dns;", "smtp;", "X-Postfix;"): the
 * value without its type. A value whose text before the first ";" is not a single token
 * has no type, and is kept whole.
 */
function splitType(value: string): { type: string; rest: string } {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*;/.exec(value);
  return match ? { type: (match[1] ?? '').toLowerCase(), rest: value.slice(match[0].length) } : { type: '', rest: value };
}

/** RFC 3464 §2.1.1: text in parentheses in a field is a comment, not its contents. */
function withoutComments(value: string): string {
  return value.replace(/\([^()]*\)/g, ' ');
}

/** RFC 6533 §3: a "utf-8" address may spell characters as \x{HEX}. */
function decodeEmbeddedUnicode(address: string): string {
  return address.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (escape: string, hex: string) => {
    const point = parseInt(hex, 16);
    return point <= 0x10ffff ? String.fromCodePoint(point) : escape;
  });
}

/** Final-Recipient / Original-Recipient (RFC 3464 §2.3.1, §2.3.2) as a bare lower-case address. */
function typedAddress(value: string): string | null {
  const { type, rest } = splitType(value);
  let address = withoutComments(rest).trim();
  if (type === 'utf-8') address = decodeEmbeddedUnicode(address);
  address = address.replace(/^<(.*)>$/, '$1').trim();
  return address === '' ? null : address.toLowerCase();
}

/** Remote-MTA (RFC 3464 §2.3.5) without its "dns;" type. */
function typedName(value: string): string | null {
  const name = withoutComments(splitType(value).rest).trim();
  return name === '' ? null : name;
}

/** An address written alone, with or without <> or "mailto:", as a lower-case address; null for anything else. */
function bareAddress(text: string): string | null {
  const address = text
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .replace(/^mailto:/i, '')
    .trim();
  return /^[^\s@<>()",;:]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(address) ? address.toLowerCase() : null;
}

/** A text without any of the given characters at its end; a loop, because /[…]+$/ retries from every character of a long run. */
function trimEndOf(text: string, characters: string): string {
  let end = text.length;
  while (end > 0 && characters.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** The first address anywhere in a text. */
function firstAddress(text: string): string | null {
  const found = new Set<string>();
  collectAddresses(text, found, 1);
  const [first] = found;
  return first ?? null;
}

/**
 * The SMTP reply in a line of prose: from the first three-digit reply code (RFC 5321
 * §4.2) that follows white space or a colon to the end. "host mx [192.0.2.1]: 550 5.1.1
 * User unknown" gives "550 5.1.1 User unknown"; IP addresses and SIZE=1543 are not codes.
 */
function smtpReply(text: string): string | null {
  return /(?:^|[\s:])([245]\d\d(?:[ -].*)?)$/.exec(text)?.[1] ?? null;
}

/**
 * The line where the notice ends and the returned message begins, in the words each MTA
 * uses: qmail "--- Below this line is a copy of the message.", Exim "------ This is a copy
 * of the message, including all the headers. ------", Sendmail "----- Unsent message
 * follows -----", Gmail "----- Original message -----", Exchange "Original message headers:".
 */
const COPY_MARKER =
  /^\s*(?:-{2,}\s*(?:below this line is a copy of the message|enclosed is a copy of the message|this is a copy of the message|original message|unsent message follows|returned message follows|message header follows|message headers follow|undelivered message)|original message headers:?\s*$)/i;

/** The notice's own words: a text without the returned message quoted after its copy marker. */
function beforeCopy(text: string): string {
  const lines = text.split('\n');
  const marker = lines.findIndex((line) => COPY_MARKER.test(line));
  return marker < 0 ? text : lines.slice(0, marker).join('\n');
}

// ---------------------------------------------------------------------------------------
// RFC 3464 message/delivery-status
// ---------------------------------------------------------------------------------------

/**
 * The field groups of a delivery-status body (RFC 3464 §2.1): per-message fields, then
 * one group per recipient, each separated by a blank line. Continuation lines begin with
 * white space (§2.1.1); a line that is not a field is also taken as a continuation,
 * because some MTAs paste a remote server's multi-line reply unindented.
 */
function dsnGroups(body: string): HeaderField[][] {
  const groups: HeaderField[][] = [];
  let group: HeaderField[] = [];
  let field: HeaderField | null = null;
  for (const line of body.split('\n')) {
    if (line.trim() === '') {
      if (group.length > 0) groups.push(group);
      group = [];
      field = null;
      continue;
    }
    const match = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:(.*)$/.exec(line);
    if (match && !/^[ \t]/.test(line)) {
      field = { name: match[1] ?? '', value: (match[2] ?? '').trim() };
      group.push(field);
    } else if (field !== null) {
      field.value += ` ${line.trim()}`;
    }
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Per-recipient fields that open a recipient record (RFC 3464 §2.3); dates and log ids only add to one. */
const RECIPIENT_OPENERS = new Set(['original-recipient', 'final-recipient', 'action', 'status', 'remote-mta', 'diagnostic-code']);

interface DsnResult {
  drafts: Draft[];
  envelopeId: string | null;
}

/**
 * Read one delivery-status body into recipient drafts. Field names are case-insensitive
 * (§2.1.1). Each blank-line group is normally one recipient, but a group that repeats
 * Final-Recipient (or Original-Recipient) is split there, because some MTAs run
 * recipients together without the blank line; and a first group that holds recipient
 * fields is read as a recipient even though §2.1 reserves it for per-message fields.
 */
function readDeliveryStatus(body: string, into: DsnResult): void {
  for (const group of dsnGroups(body)) {
    let current: Draft | null = null;
    for (const field of group) {
      const name = field.name.toLowerCase();
      if (name === 'original-envelope-id') {
        // §2.2.1: case-sensitive, echoed as the sender gave it in ENVID (RFC 3461 §4.4).
        const id = withoutComments(field.value).trim();
        if (into.envelopeId === null && id !== '') into.envelopeId = id;
        continue;
      }
      if (!RECIPIENT_OPENERS.has(name)) continue;
      if (current === null || (name === 'final-recipient' && current.finalRecipient !== null) || (name === 'original-recipient' && current.originalRecipient !== null)) {
        current = draft();
        into.drafts.push(current);
      }
      switch (name) {
        case 'final-recipient':
          current.finalRecipient = typedAddress(field.value);
          break;
        case 'original-recipient':
          current.originalRecipient = typedAddress(field.value);
          break;
        case 'action': {
          // §2.3.3: one of five words; a comment may follow ("failed (bad mailbox)").
          const word = /^\s*([A-Za-z]+)/.exec(field.value)?.[1]?.toLowerCase() ?? '';
          if (ACTIONS.has(word)) current.action = word as BounceAction;
          break;
        }
        case 'status':
          current.status = field.value;
          break;
        case 'remote-mta':
          current.remoteMta = typedName(field.value);
          break;
        case 'diagnostic-code':
          // §2.3.6: diagnostic-type ";" text. The text keeps its parentheses: "(in reply
          // to RCPT TO command)" is part of what the server said, not a comment.
          current.diagnostic = splitType(field.value).rest;
          break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// qmail: the qmail-send Bounce Message Format (QSBMF, D. J. Bernstein, 1997)
// ---------------------------------------------------------------------------------------

/** QSBMF §2: "its body begins with the characters "Hi. This is the" exactly as shown". */
const QSBMF_START = /^\s*Hi\. This is the /;
/** What qmail-send's introductory paragraph says; a person's "Hi. This is the …" letter does not. */
const QMAIL_INTRO = /\bqmail-send program\b|wasn't able to deliver your message/i;

/**
 * QSBMF §2: the body is an introductory paragraph, zero or more recipient paragraphs,
 * a break paragraph that begins with "-", then the original message. A recipient
 * paragraph begins with "<" address ">:" and the rest is the explanation; qmail-remote
 * puts the remote reply after "Remote host said:" and its own verdict around it.
 */
function parseQmail(text: string, action: BounceAction): Draft[] {
  const drafts: Draft[] = [];
  const paragraphs = text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.replace(/^\n+/, ''))
    .filter((paragraph) => paragraph.trim() !== '');
  for (const paragraph of paragraphs.slice(1)) {
    if (paragraph.startsWith('-')) break;
    const head = /^<([^<>\n]*)>:[ \t]*/.exec(paragraph);
    if (!head) continue;
    const lines = paragraph
      .slice(head[0].length)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const verdict = (line: string): boolean => /^Giving up on \S+$/i.test(line) || /^I'm not going to try again/i.test(line);
    const said = lines.findIndex((line) => /^Remote host said:/i.test(line));
    const explanation = (said >= 0 ? lines.slice(said) : lines).filter((line) => !verdict(line)).join(' ').replace(/^Remote host said:\s*/i, '');
    const joined = lines.join(' ');
    const host = /(?:^|\s)(\S+) (?:does not like recipient|does not like sender|failed after I sent the message|failed on DATA command)/.exec(joined) ?? /\bConnected to (\S+) but\b/.exec(joined);
    drafts.push(draft({ action, finalRecipient: bareAddress(head[1] ?? '') ?? ((head[1] ?? '').toLowerCase() || null), remoteMta: host?.[1] ?? null, diagnostic: explanation }));
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------
// Exim without a DSN part
// ---------------------------------------------------------------------------------------

const EXIM_INTRO = /This message was created automatically by mail delivery software/i;
/** The line that opens Exim's address list, for a failure and for a delay warning. */
const EXIM_LIST = /(?:address\(es\) failed|addresses failed|address failed|not yet been delivered (?:is|are))\s*:\s*$/i;

/**
 * Exim's plain text: after the list-opening line each address is indented two spaces and
 * its reason lines four; the list ends at the first unindented line. The reason holds
 * "host NAME [IP]" and, after "SMTP error from remote mail server after …:", the reply.
 */
function parseExim(text: string, action: BounceAction): Draft[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => EXIM_LIST.test(line));
  if (start < 0) return [];
  const entries: { address: string; reasons: string[] }[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') continue;
    if (/^ {2}\S/.test(line)) entries.push({ address: line.trim(), reasons: [] });
    else if (/^(?: {3,}|\t)\S/.test(line) && entries.length > 0) entries[entries.length - 1]?.reasons.push(line.trim());
    else break;
  }
  return entries.map(({ address, reasons }) => {
    let originalRecipient: string | null = null;
    const kept: string[] = [];
    for (const reason of reasons) {
      // A redirected address names where it came from; that is the original recipient.
      const generated = /^\(?(?:ultimately )?generated (?:from|by) <?([^\s<>()]+?)>?\)?$/i.exec(reason);
      if (generated) originalRecipient ??= (generated[1] ?? '').toLowerCase();
      else kept.push(reason);
    }
    const joined = kept.join(' ').replace(/\s+/g, ' ');
    const token = address.replace(/:$/, '');
    const finalRecipient = bareAddress(token) ?? (/\s/.test(token) ? firstAddress(token) : token.replace(/^<(.*)>$/, '$1').toLowerCase() || null);
    return draft({
      action,
      finalRecipient,
      originalRecipient,
      remoteMta: /\bhost (\S{1,255}) \[[^\]\s]{1,64}\]/i.exec(joined)?.[1] ?? null,
      diagnostic: smtpReply(joined) ?? joined,
    });
  });
}

// ---------------------------------------------------------------------------------------
// Postfix without a DSN part ("This is the Postfix program at host …")
// ---------------------------------------------------------------------------------------

const POSTFIX_INTRO = /This is the (?:Postfix program|mail system) at host/i;

/**
 * Postfix's text: one paragraph per recipient, "<address> (expanded from <alias>): reason",
 * continued on indented lines. A remote reply reads "host NAME[IP] said: REPLY (in reply
 * to COMMAND command)"; Postfix's own verdicts ("TLS is required, but was not offered by
 * host NAME[IP]") are the diagnostic as they stand.
 */
function parsePostfixPlain(text: string, action: BounceAction): Draft[] {
  const drafts: Draft[] = [];
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const trimmed = paragraph.replace(/^\n+/, '');
    if (!trimmed.startsWith('<')) continue;
    const joined = trimmed.replace(/\s+/g, ' ').trim();
    const match = /^<([^<>\s]*)>(?:\s*\(expanded from\s*<([^<>]*)>\))?:\s*(.*)$/i.exec(joined);
    if (!match) continue;
    const rest = match[3] ?? '';
    const said = /\bhost (\S{1,255}?)\[[^\]\s]{1,64}\] (?:said|refused to talk to me): ?(.*)$/i.exec(rest);
    const host = said?.[1] ?? /\b(?:by host|connect to|with host) (\S{1,255}?)\[/i.exec(rest)?.[1] ?? null;
    drafts.push(
      draft({
        action,
        finalRecipient: (match[1] ?? '').toLowerCase() || null,
        originalRecipient: match[2] ? match[2].toLowerCase() : null,
        remoteMta: host,
        diagnostic: said ? (said[2] ?? '').replace(/ ?\(in reply to [^()]*\) ?$/i, '') : rest,
      }),
    );
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------
// Sendmail without a DSN part (V5 Sendmail, or -O SendMimeErrors off)
// ---------------------------------------------------------------------------------------

const SENDMAIL_MARK = /^[ \t]*-{3,}[ \t]*(?:Transcript of session follows|The following addresses had (?:permanent fatal|transient non-fatal) errors)[ \t]*-{3,}/im;

/**
 * Sendmail's text: an optional list "----- The following addresses had permanent fatal
 * errors -----" (transient non-fatal for a delay) of addresses, each with "(reason: …)",
 * then the transcript: "... while talking to HOST.:", ">>> COMMAND", "<<< REPLY", and one
 * "CODE [X.Y.Z] <address>... text" line per recipient. The remote's "<<<" reply is the
 * diagnostic a transcript line refers to.
 */
function parseSendmailPlain(text: string, fallback: BounceAction): Draft[] {
  const drafts: Draft[] = [];
  const byAddress = new Map<string, Draft>();
  let mode: 'none' | 'list' | 'transcript' = 'none';
  let listAction: BounceAction = fallback;
  let host: string | null = null;
  let reply: string | null = null;
  let lastWasReply = false;
  let current: Draft | null = null;
  const add = (address: string, action: BounceAction): Draft => {
    const entry = draft({ action, finalRecipient: address });
    drafts.push(entry);
    byAddress.set(address, entry);
    return entry;
  };
  for (const line of text.split('\n')) {
    // Headings are short; the length guard keeps the lazy match from going quadratic on a long line.
    const heading = line.length <= 200 ? /^\s*-{3,}\s*(.*?)\s*-{3,}\s*$/.exec(line) : null;
    if (heading) {
      const title = (heading[1] ?? '').toLowerCase();
      if (title.includes('permanent fatal errors') || title.includes('transient non-fatal errors')) {
        mode = 'list';
        listAction = title.includes('transient') ? 'delayed' : 'failed';
      } else if (title.includes('transcript of session follows')) {
        mode = 'transcript';
      } else {
        break;
      }
      continue;
    }
    if (mode === 'list') {
      const address = bareAddress(line);
      if (address !== null) {
        current = byAddress.get(address) ?? add(address, listAction);
        continue;
      }
      const reason = /^\s*\(reason:\s*(.*)\)\s*$/i.exec(line);
      if (reason && current !== null) current.diagnostic ??= reason[1] ?? null;
      const expanded = /^\s*\(expanded from:\s*<?([^\s<>()]+)>?\)\s*$/i.exec(line);
      if (expanded && current !== null) current.originalRecipient ??= (expanded[1] ?? '').toLowerCase();
    } else if (mode === 'transcript') {
      const talking = /^(?:\.\.\.\s*)?while talking to ([^\s:]+?)\.?:\s*$/i.exec(line);
      if (talking) {
        host = talking[1] ?? null;
        reply = null;
        lastWasReply = false;
        continue;
      }
      if (line.startsWith('>>>')) {
        reply = null;
        lastWasReply = false;
        continue;
      }
      const received = /^<<<\s?(.*)$/.exec(line);
      if (received) {
        reply = lastWasReply && reply !== null ? `${reply} ${received[1] ?? ''}` : (received[1] ?? '');
        lastWasReply = true;
        continue;
      }
      lastWasReply = false;
      const status = /^(?:([245]\d\d)(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?\s+)?<?([^\s<>]+@[^\s<>]+?)>?\.\.\.\s*(.*)$/.exec(line);
      if (!status) continue;
      const address = (status[3] ?? '').toLowerCase();
      const code = status[1] ?? '';
      const said = status[4] ?? '';
      const entry = byAddress.get(address) ?? add(address, fallback);
      entry.status ??= status[2] ?? null;
      entry.diagnostic ??= reply ?? (code !== '' && !/^[245]\d\d\b/.test(said) ? `${code} ${said}` : said);
      if (reply !== null) entry.remoteMta ??= host;
      reply = null;
    }
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------
// Generic: a notice recognised by its sender or subject, in no format above
// ---------------------------------------------------------------------------------------

/** Where vendors put the remote reply in their prose, one line at a time. */
const GENERIC_DIAGNOSTICS: RegExp[] = [
  /Remote Server returned '(.*)'/i, // Exchange 2007 and later, Office 365
  /The error that the other server returned was:\s*(.+)$/i, // Gmail until about 2015
  /^The response (?:from the remote server )?was:\s*(\S.*)$/i, // Gmail, reply on the same line
  /\bhost \S+ said:\s*([245]\d\d\b.*)$/i, // Postfix wording, relayed by others
  /^Remote host said:\s*(.+)$/i, // qmail wording
  /^\s*([245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b.*)$/, // a bare reply with an enhanced code
];

/**
 * Sentences that name the recipient inline rather than on a line of its own. The domain
 * is matched label by label, so a full stop after it ends the sentence, not the domain.
 */
const INLINE_ADDRESS = String.raw`<?([^\s<>@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?`;
const INLINE_RECIPIENT: RegExp[] = [
  new RegExp(String.raw`(?:wasn't|was not|couldn't be|could not be|hasn't been|has not been) delivered to ${INLINE_ADDRESS}`, 'i'),
  new RegExp(String.raw`\bmessage to ${INLINE_ADDRESS} (?:was undeliverable|could not be delivered|has been delayed)`, 'i'),
  new RegExp(String.raw`\bdelivering your message to ${INLINE_ADDRESS}`, 'i'),
];

/**
 * An address alone on its line, the way Gmail ("     user@example.com"), Exchange
 * ("Name<mailto:user@example.com>") and others list failed recipients. A display name
 * is allowed only if it is short and reads like a name, not a sentence ending in an
 * address ("please contact <postmaster@…>").
 */
function addressAlone(line: string): string | null {
  const text = line.trim().replace(/:$/, '');
  const mailto = /^(.*)<mailto:([^<>\s]+)>$/i.exec(text);
  if (mailto) {
    const before = (mailto[1] ?? '').trim();
    return before === '' || bareAddress(before) !== null || /^[^,:;.!?<>]{1,40}$/.test(before) ? bareAddress(mailto[2] ?? '') : null;
  }
  const named = /^([^<>]*)<([^<>\s]+)>$/.exec(text);
  if (named) return /^[^,:;.!?]{0,40}$/.test(named[1] ?? '') ? bareAddress(named[2] ?? '') : null;
  return bareAddress(text);
}

/**
 * Pair each diagnostic with the recipient named last before it, as vendor notices list
 * "recipient, then what the server said". Recipients named in X-Failed-Recipients (Exim,
 * Gmail) that the text does not pair are added; a lone diagnostic with no recipient in
 * sight is kept with a null recipient rather than lost.
 */
function parseGeneric(text: string, failedRecipients: string[], action: BounceAction): Draft[] {
  const drafts: Draft[] = [];
  let recipient: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const alone = addressAlone(line);
    if (alone !== null) {
      recipient = alone;
      continue;
    }
    for (const pattern of INLINE_RECIPIENT) {
      const inline = pattern.exec(line);
      if (inline) {
        recipient = (inline[1] ?? '').toLowerCase();
        break;
      }
    }
    let diagnostic: string | null = null;
    if (/^\s*The response (?:from the remote server )?was:\s*$/i.test(line)) {
      // Gmail: the reply is the next paragraph.
      let j = i + 1;
      while (j < lines.length && (lines[j] ?? '').trim() === '') j++;
      const paragraph: string[] = [];
      while (j < lines.length && paragraph.length < MAX_RESPONSE_LINES && (lines[j] ?? '').trim() !== '') paragraph.push((lines[j++] ?? '').trim());
      diagnostic = paragraph.join(' ') || null;
    } else if (line.includes('(reason:')) {
      // Sendmail: "(reason: 550 5.1.1 User unknown)". Found by position, not by a pattern
      // that would rescan the line from every "(reason:" in it.
      const reason = trimEndOf(line.slice(line.indexOf('(reason:') + 8), ' \t');
      diagnostic = (reason.endsWith(')') ? reason.slice(0, -1) : reason).trim() || null;
    } else if (/^#[245]\d\d\b/.test(line)) {
      // Exchange 2007: "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"
      diagnostic = trimEndOf(line.slice(1), ' \t#');
    } else {
      for (const pattern of GENERIC_DIAGNOSTICS) {
        const match = pattern.exec(line);
        if (match) {
          diagnostic = match[1] ?? null;
          break;
        }
      }
    }
    if (diagnostic === null) continue;
    const existing = drafts.find((entry) => entry.finalRecipient === recipient);
    if (existing === undefined) drafts.push(draft({ action, finalRecipient: recipient, diagnostic, remoteMta: /\bhost (\S{1,255}?)\[[^\]\s]{1,64}\] said:/i.exec(line)?.[1] ?? null }));
    else existing.diagnostic ??= diagnostic;
    if (drafts.length >= MAX_RECIPIENTS) break;
  }
  for (const failed of failedRecipients) {
    if (drafts.some((entry) => entry.finalRecipient === failed)) continue;
    const anonymous = drafts.filter((entry) => entry.finalRecipient === null);
    const only = anonymous.length === 1 ? anonymous[0] : undefined;
    if (only !== undefined) only.finalRecipient = failed;
    else drafts.push(draft({ action, finalRecipient: failed }));
  }
  if (drafts.length === 0 && recipient !== null) drafts.push(draft({ action, finalRecipient: recipient }));
  return drafts;
}

// ---------------------------------------------------------------------------------------
// Recognising a notice, and its kind
// ---------------------------------------------------------------------------------------

/** Subjects MTAs give their notices; a reply or forward ("Re:", "Fwd:") of one is a person writing, not a notice. */
const BOUNCE_SUBJECT =
  /undeliver(?:ed|able)|returned mail|returned to sender|mail delivery (?:failed|failure|problem)|delivery (?:status notification|failure|failed|has failed|notification|report|problem|delayed)|failure notice|non-?delivery|nondeliverable|could not send message|delayed mail|warning: message \S+ delayed|see transcript for details|message not delivered|mail system error/i;
const REPLY_SUBJECT = /^\s*(?:re|fwd?|aw|wg|sv|antw)\s*:/i;

/**
 * Subjects of delay warnings, anchored at the start: "Undeliverable: order delayed" is a
 * failure whose original subject happens to say "delayed".
 */
const DELAY_SUBJECT =
  /^\s*(?:warning: could not send message for past|warning: message \S+ delayed|delayed mail\b|delivery status notification \(delay\)|delivery delayed\b|(?:mail|message) delivery (?:has been )?delayed)/i;

/** Sentences only delay warnings say (Sendmail, Postfix, Exim, Gmail old and new). */
const DELAY_TEXT =
  /THIS IS A WARNING(?: MESSAGE)? ONLY|has not yet been delivered|will be retried until|will keep trying until|delivery attempts will continue|message will be retried for|will retry for \d+ more|\*\* delivery incomplete \*\*|delivery to the following recipients? (?:has been|is) delayed/i;

/** What a notice from a postmaster says, as opposed to a postmaster writing as a person. */
const BOUNCE_TEXT =
  /undeliver|could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|delivery (?:has )?failed|failed permanently|permanent (?:error|failure)|returned mail|was rejected|delivery to the following|not yet been delivered|will be retried|(?<![\w.])[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b/i;

/** MAILER-DAEMON and its spellings, or the display names MTAs give it. */
const DAEMON_FROM = /\b(?:mailer[-_]?daemon|mail[-_]daemon|mdaemon)\b|\bmail delivery (?:system|subsystem)\b/i;
const POSTMASTER_FROM = /\bpostmaster\b/i;

function isDelayNotice(subject: string, notice: string): boolean {
  return DELAY_SUBJECT.test(subject) || DELAY_TEXT.test(notice);
}

function messageIds(fields: HeaderField[]): string[] {
  const ids: string[] = [];
  for (const value of fieldValues(fields, 'message-id')) {
    // RFC 5322 §3.6.4 msg-id is "<" id-left "@" id-right ">"; a bare one is given its brackets.
    const bracketed = /<([^<>\s]+)>/.exec(value)?.[1];
    const id = bracketed ?? (/^[^\s<>]+@[^\s<>]+$/.test(value.trim()) ? value.trim() : undefined);
    if (id !== undefined) ids.push(`<${id}>`);
  }
  return ids;
}

/** Message-IDs of the returned message as quoted in prose: the header block after the copy marker, else any "Message-ID:" line. */
function quotedMessageIds(text: string): string[] {
  const lines = text.split('\n');
  const marker = lines.findIndex((line) => COPY_MARKER.test(line));
  if (marker >= 0) {
    let start = marker + 1;
    while (start < lines.length && (lines[start] ?? '').trim() === '') start++;
    let end = start;
    while (end < lines.length && (lines[end] ?? '').trim() !== '') end++;
    return messageIds(unfoldFields(lines.slice(start, end).join('\n')));
  }
  return [...text.matchAll(/^[ \t]*Message-ID[ \t]*:[ \t]*(<[^<>\s]+>)/gim)].map((match) => match[1] ?? '').filter((id) => id !== '');
}

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

/**
 * A non-ASCII letter, digit or mark: RFC 6532 §3.2 lets UTF-8 into atext and domain
 * labels, so "pröbe@example.com" is one address, not "be@example.com". Punctuation and
 * symbols (an em dash glued to an address) still end it.
 */
function isUnicodeWordChar(code: number): boolean {
  return code >= 0x80 && /[\p{L}\p{N}\p{M}]/u.test(String.fromCharCode(code));
}

/** RFC 5322 §3.2.3 atext, and "." between atoms. */
function isLocalChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2e ||
    "!#$%&'*+/=?^_`{|}~-".includes(String.fromCharCode(code)) ||
    isUnicodeWordChar(code)
  );
}

function isDomainChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || isUnicodeWordChar(code);
}

/** A dotted domain of letters, digits and inner hyphens (RFC 5321 §4.1.2 Domain), checked label by label. */
function isDomain(domain: string): boolean {
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((label) => label !== '' && label.length <= 63 && !label.startsWith('-') && !label.endsWith('-'));
}

/**
 * Every address in a text, found by walking out from each "@" over at most MAX_LOCAL_PART
 * and MAX_DOMAIN characters: linear in the text whatever it holds, where a regular
 * expression would retry from every letter of a long run.
 */
function collectAddresses(text: string, into: Set<string>, limit: number = MAX_ADDRESSES): void {
  let at = text.indexOf('@');
  while (at >= 0 && into.size < limit) {
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL_PART && isLocalChar(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_DOMAIN && isDomainChar(text.charCodeAt(end))) end++;
    const tooLong = start > 0 && isLocalChar(text.charCodeAt(start - 1));
    const local = text.slice(start, at).replace(/^\.+|\.+$/g, '');
    const domain = text.slice(at + 1, end).replace(/[.-]+$/, '');
    if (!tooLong && local !== '' && isDomain(domain)) {
      // RFC 8601 §2.2 "ptype.property=value" (smtp.mailfrom=user@example.com) is a key,
      // then the address; a VERP "bounce+user=example.com@…" is an address as it stands.
      const property = /^(?:smtp|header|body|policy)\.[A-Za-z0-9_-]+=(.+)$/i.exec(local);
      into.add(`${property?.[1] ?? local}@${domain}`.toLowerCase());
    }
    at = text.indexOf('@', at + 1);
  }
}

// ---------------------------------------------------------------------------------------
// The whole notice
// ---------------------------------------------------------------------------------------

function finish(entry: Draft, fallback: BounceAction): BounceRecipient {
  const diagnostic = cleanDiagnostic(entry.diagnostic);
  const status = statusCode(entry.status) ?? statusCode(diagnostic);
  // A DSN recipient without an Action takes it from its status class, except in a delay
  // warning, which must never read as a failure.
  const action = entry.action ?? (fallback === 'delayed' ? 'delayed' : (actionOfStatus(status) ?? fallback));
  return {
    action,
    status,
    finalRecipient: entry.finalRecipient,
    originalRecipient: entry.originalRecipient,
    remoteMta: entry.remoteMta,
    diagnostic,
  };
}

function parseText(text: string): ParsedBounce | null {
  const message = splitEntity(dropMboxSeparator(text));
  const collected: Collected = { dsnBodies: [], returnedHeaders: [], texts: [], htmlTexts: [], scan: [], budget: MAX_ENTITIES };
  visit(message, 0, false, collected);

  const fields = message.fields;
  const subject = decodeEncodedWords(fieldValue(fields, 'subject').slice(0, MAX_FIELD));
  const from = decodeEncodedWords(fieldValue(fields, 'from').slice(0, MAX_FIELD));
  const prose = collected.texts.length > 0 ? collected.texts : collected.htmlTexts;
  const notices = prose.map(beforeCopy);
  const notice = notices.join('\n\n');
  const fallback: BounceAction = isDelayNotice(subject, notice) ? 'delayed' : 'failed';
  const failedRecipients = fieldValues(fields, 'x-failed-recipients')
    .flatMap((value) => value.split(','))
    .map((value) => bareAddress(value))
    .filter((value): value is string => value !== null);
  const { type, params } = contentType(fields);
  const declaredReport = type === 'multipart/report' && /^(?:global-)?delivery-status$/i.test(params.get('report-type') ?? '');
  const replySubject = REPLY_SUBJECT.test(subject);
  const nullSender = /^\s*<\s*>\s*$/.test(fieldValue(fields, 'return-path'));
  const bounceSubject = !replySubject && BOUNCE_SUBJECT.test(subject);
  const daemon = DAEMON_FROM.test(from);
  const looksSent = bounceSubject || daemon || nullSender || failedRecipients.length > 0 || declaredReport;

  let format: string | null = null;
  let drafts: Draft[] = [];
  const dsn: DsnResult = { drafts: [], envelopeId: null };
  for (const body of collected.dsnBodies) readDeliveryStatus(body, dsn);
  const dsnDrafts = dsn.drafts.filter((entry) => entry.finalRecipient !== null || entry.originalRecipient !== null || entry.action !== null || entry.status !== null || entry.diagnostic !== null);
  if (dsnDrafts.length > 0) {
    format = 'rfc3464';
    drafts = dsnDrafts;
  } else {
    // Prose formats, each recognised by wording its MTA always uses. A match is trusted
    // when it yields recipients or the envelope says "notice". QSBMF's "Hi. This is the"
    // also opens letters and out-of-office replies, so qmail needs qmail-send's own
    // introduction, or recipient paragraphs in a message that looks sent by a daemon.
    const readers: [string, (leaf: string) => boolean, (leaf: string) => Draft[], (leaf: string, found: Draft[]) => boolean][] = [
      ['qmail', (leaf) => QSBMF_START.test(leaf), (leaf) => parseQmail(leaf, fallback), (leaf, found) => QMAIL_INTRO.test(leaf) || (looksSent && found.length > 0)],
      ['exim-plain', (leaf) => EXIM_INTRO.test(leaf), (leaf) => parseExim(leaf, fallback), (_, found) => looksSent || found.length > 0],
      ['postfix-plain', (leaf) => POSTFIX_INTRO.test(leaf), (leaf) => parsePostfixPlain(leaf, fallback), (_, found) => looksSent || found.length > 0],
      ['sendmail-plain', (leaf) => SENDMAIL_MARK.test(leaf), (leaf) => parseSendmailPlain(leaf, fallback), (_, found) => looksSent || found.length > 0],
    ];
    search: for (const [name, recognise, read, trusted] of readers) {
      for (const leaf of notices) {
        if (!recognise(leaf)) continue;
        const found = read(leaf);
        if (trusted(leaf, found)) {
          format = name;
          drafts = found;
          break search;
        }
      }
    }
    if (format === null) {
      const postmaster = POSTMASTER_FROM.test(from) && (BOUNCE_TEXT.test(notice) || nullSender || /^auto-/i.test(fieldValue(fields, 'auto-submitted')));
      if (bounceSubject || daemon || postmaster || failedRecipients.length > 0 || declaredReport) {
        format = 'generic';
        drafts = parseGeneric(notice, failedRecipients, fallback);
      }
    }
  }
  if (format === null) return null;

  const recipients = drafts.slice(0, MAX_RECIPIENTS).map((entry) => finish(entry, fallback));

  // Only the returned message's header and the prose are searched, never the notice's
  // own header, so the notice's Message-ID cannot pass for the original's.
  const ids = new Set<string>();
  for (const block of collected.returnedHeaders) for (const id of messageIds(block)) ids.add(id);
  for (const leaf of prose) for (const id of quotedMessageIds(leaf)) ids.add(id);
  const originalMessageIds = [...ids].slice(0, MAX_MESSAGE_IDS);

  // Most telling first, so the cap drops Received-field noise rather than the recipient:
  // the recipients, the notice's own To (the probe's envelope sender), the returned
  // header, the prose, then everything else.
  const addresses = new Set<string>();
  for (const recipient of recipients) {
    // Already clean and lower case; scanning them would cut a UTF-8 local part (RFC 6533).
    for (const address of [recipient.finalRecipient, recipient.originalRecipient]) if (address !== null && /^[^\s@]+@[^\s@]+$/.test(address)) addresses.add(address);
  }
  for (const name of ['to', 'delivered-to', 'x-original-to', 'x-failed-recipients']) for (const value of fieldValues(fields, name)) collectAddresses(value, addresses);
  for (const block of collected.returnedHeaders) for (const field of block) if (!ID_FIELDS.test(field.name)) collectAddresses(field.value, addresses);
  for (const leaf of prose) collectAddresses(withoutIdLines(leaf), addresses);
  for (const part of collected.scan) collectAddresses(part, addresses);

  return {
    format,
    recipients,
    originalMessageIds,
    addresses: [...addresses].slice(0, MAX_ADDRESSES),
    envelopeId: format === 'rfc3464' ? dsn.envelopeId : null,
  };
}
