import { isIP as netIsIP } from 'node:net';
import { parseReceivedDate } from './received-date.js';
import type { HopTlsBasis, ReceivedHop } from './received-hop.js';
import { tokenize, type Token } from './received-tokens.js';
import { mergeTlsFacts, tlsFactsFromComment, tlsFromProtocolKeyword, withClauseCipher } from './tls-facts.js';
import { receivedFieldsNewestFirst } from './unfold-headers.js';

type Clause = 'from' | 'by' | 'via' | 'with' | 'id' | 'for';
type ValueToken = Extract<Token, { kind: 'atom' | 'quoted' | 'literal' | 'angle' }>;
const CLAUSES = new Set<string>(['from', 'by', 'via', 'with', 'id', 'for']);

/**
 * Every Received field of a message (or of a bare header block), parsed, oldest hop
 * first: the reverse of their order in the header, since each MTA prepends its own
 * (RFC 5321 §4.4). The last element is the newest hop, the one our receiver stamped.
 */
export function receivedHopsOldestFirst(message: string): ReceivedHop[] {
  return receivedFieldsNewestFirst(message).map(parseReceived).reverse();
}

/**
 * Read one Received field value (without "Received:") into a hop. Never throws: what
 * cannot be read is null, and TLS is 'unknown' unless the field says something.
 *
 * The grammar is RFC 5321 §4.4 (Stamp = From-domain By-domain Opt-info [CFWS] ";"
 * date-time), read leniently because real MTAs stretch it: clauses are found by their
 * keywords (from, by, via, with, id, for; any case) wherever they are, comments may sit
 * anywhere, the date is what follows the *last* top-level ";" (SquirrelMail writes one
 * earlier), and Courier's "id" after the date is still the id.
 *
 * TLS, in this order (the three states of issue 20; `tls.basis` says which words decided):
 *  1. A comment anywhere in the field that states TLS facts (tls-facts.ts), or a vendor's
 *     TLS clause in the `with` part (Cisco's "ESMTP/TLS/<cipher>", MessageLabs' "<cipher>
 *     encrypted SMTP", "over TLS secured channel", "with ESMTP with STARTTLS"), makes `tls`
 *     true with what it states, whatever the keyword says: Sendmail and old Postfix write
 *     "with ESMTP" next to their TLS comment, qmail writes "with (… encrypted) SMTP".
 *  2. Otherwise a keyword that says TLS (RFC 3848's ESMTPS, ESMTPSA, LMTPS, UTF8SMTPS, SMTPS,
 *     HTTPS, …) makes `tls` true with no version.
 *  3. Otherwise a keyword that says no TLS (SMTP, ESMTP, ESMTPA, LMTP, UTF8SMTP, …; `local`
 *     and the other local submissions: no network hop; Microsoft's bare "Microsoft SMTP
 *     Server"/"SMTPSVC", which states TLS whenever it was used) makes `tls` false.
 *  4. Otherwise 'unknown': HTTP (written for HTTPS too), IMAP/POP fetches (fetchmail names the
 *     protocol whether or not it used TLS), mapi, no `with` at all, an unregistered keyword.
 *
 * Caveat for 3: writers that predate RFC 3848, or that are configured not to mention
 * TLS (Postfix's smtpd_tls_received_header = no still writes ESMTPS; qmail without its
 * TLS patch writes plain SMTP), can say "ESMTP" about an encrypted session. `false` means
 * "the field claims plaintext", which is what a Received field can prove, no more.
 *
 * The client chooses its HELO/EHLO name, and MTAs quote it inside the from-clause
 * comment (Exim "helo=…", qmail "(HELO …)", ZMailer "\"EHLO …\""): those comments are
 * never searched for TLS facts, nor are quoted strings, so a HELO of "version=TLSv1.3"
 * proves nothing.
 */
export function parseReceived(value: string): ReceivedHop {
  const raw = unfold(value);
  const tokens = tokenize(raw);
  let lastSemicolon = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i]?.kind === 'semicolon') {
      lastSemicolon = i;
      break;
    }
  }
  const clauses = readClauses(lastSemicolon >= 0 ? tokens.slice(0, lastSemicolon) : tokens);
  const tail = readDatePart(lastSemicolon >= 0 ? tokens.slice(lastSemicolon + 1) : []);
  const from = readFrom(clauses.fromWord, clauses.fromComments, clauses.fromLiterals);

  const tlsComments = [
    ...clauses.fromComments.filter((_, i) => !from.tcpInfo.has(i)),
    ...clauses.byComments,
    ...clauses.withComments,
    ...clauses.otherComments,
    ...tail.comments,
  ];
  const commentFacts = tlsComments.map(tlsFactsFromComment);
  const facts = mergeTlsFacts(commentFacts);
  const statedComment = commentFacts.findIndex((f) => f.stated);
  const withClause = readWithClause(clauses.withAtoms);
  const clauseStatement = withClause.statement ?? tlsClauseOutsideWith(clauses);
  if (withClause.cipher !== null) facts.cipher ??= withClause.cipher;
  const protocol = withClause.protocol;
  const id = clauses.id ?? tail.id;

  let tls: boolean | 'unknown' = 'unknown';
  let basis: HopTlsBasis = 'none';
  let statement: string | null = null;
  const keyword = tlsFromProtocolKeyword(protocol);
  if (statedComment >= 0) {
    tls = true;
    basis = 'comment';
    statement = collapse(tlsComments[statedComment] ?? '');
  } else if (clauseStatement !== null) {
    tls = true;
    basis = 'clause';
    statement = clauseStatement;
  } else if (keyword !== null) {
    tls = keyword;
    basis = 'keyword';
    statement = protocol;
  }

  return {
    raw,
    from: { helo: from.helo, rdns: from.rdns, address: from.address },
    by: { host: clauses.byHost, software: software(clauses.byComments, clauses.withComments) },
    with: protocol,
    id,
    for: clauses.for,
    date: tail.date,
    tls:
      tls === true
        ? { tls, version: facts.version, cipher: facts.cipher, bits: facts.bits, verify: facts.verify, basis, statement }
        : { tls, version: null, cipher: null, bits: null, verify: null, basis, statement },
  };
}

/**
 * The `with` clause's atoms read into the protocol keyword and any TLS statement a vendor
 * writes there as plain words:
 *   Exim ≥ 4.93   `esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`   → esmtps, cipher after `tls`
 *   Cisco ESA     `ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384`        → ESMTP, the cipher
 *   MessageLabs   `ECDHE-RSA-AES256-GCM-SHA384 encrypted SMTP`   → SMTP, the cipher
 *   Mimecast      `ESMTP with STARTTLS`                           → ESMTP, TLS
 * Anything else: all atoms, joined, are the protocol ("Microsoft SMTP Server").
 */
function readWithClause(atoms: string[]): { protocol: string | null; cipher: string | null; statement: string | null } {
  if (atoms.length === 0) return { protocol: null, cipher: null, statement: null };
  const first = atoms[0] ?? '';
  const slash = first.split('/');
  if (slash.length >= 3 && (slash[1] ?? '').toUpperCase() === 'TLS' && slash[0]) {
    return { protocol: slash[0], cipher: slash.slice(2).join('/') || null, statement: first };
  }
  if (atoms.length >= 3 && (atoms[1] ?? '').toLowerCase() === 'encrypted') {
    return { protocol: atoms.slice(2).join(' '), cipher: first, statement: atoms.join(' ') };
  }
  const tlsAt = atoms.findIndex((atom, i) => i > 0 && atom.toLowerCase() === 'tls');
  const protocolAtoms = tlsAt > 0 ? atoms.slice(0, tlsAt) : atoms;
  const cipher = withClauseCipher(atoms);
  const starttls = atoms.findIndex((atom, i) => i > 0 && atom.toUpperCase() === 'STARTTLS');
  const protocol = (starttls > 0 ? atoms.slice(0, starttls) : protocolAtoms).filter((a) => a.toLowerCase() !== 'with').join(' ');
  const statement = cipher !== null ? `tls ${cipher}` : starttls > 0 ? atoms.slice(starttls - 1, starttls + 1).join(' ') : null;
  return { protocol: protocol || null, cipher, statement };
}

/**
 * TLS stated in plain words outside the `with` clause: Microsoft's `by host over TLS secured
 * channel with Microsoft SMTPSVC(…)`, and `via SSL` / `via TLS` (a link type some gateways write).
 */
function tlsClauseOutsideWith(clauses: Clauses): string | null {
  const by = clauses.byExtra.join(' ');
  if (/^over TLS secured channel$/i.test(by)) return by;
  const via = clauses.viaAtoms.join(' ');
  if (/^(?:SSL|TLS)$/i.test(via)) return `via ${via}`;
  return null;
}

function collapse(text: string): string {
  return text.split(/\s+/).filter(Boolean).join(' ');
}

/** Unfold (RFC 5322 §2.2.3): a line break and the white space after it become one space. */
function unfold(value: string): string {
  return value.replace(/\r?\n[ \t]*/g, ' ').replace(/\r/g, ' ').trim();
}

interface Clauses {
  fromWord: ValueToken | null;
  fromComments: string[];
  fromLiterals: string[];
  byHost: string | null;
  byComments: string[];
  /** Atoms after the `by` host (Microsoft's "over TLS secured channel"). */
  byExtra: string[];
  withAtoms: string[];
  /** The `via` clause's atoms (a link type: "SSL", "TLS", Microsoft's "Frontend Transport"). */
  viaAtoms: string[];
  withComments: string[];
  id: string | null;
  for: string | null;
  otherComments: string[];
  /** Tokens that fit no clause: the field is not cleanly parsed. */
  junk: number;
}

function readClauses(tokens: Token[]): Clauses {
  const out: Clauses = {
    fromWord: null,
    fromComments: [],
    fromLiterals: [],
    byHost: null,
    byComments: [],
    byExtra: [],
    withAtoms: [],
    viaAtoms: [],
    withComments: [],
    id: null,
    for: null,
    otherComments: [],
    junk: 0,
  };
  let clause: Clause | 'pre' = 'pre';
  const seen = new Set<Clause>();
  // A clause keyword seen twice (XMail's trailing "from <sender>") starts a clause we ignore.
  let repeated = false;
  let valueTaken = false;
  for (const token of tokens) {
    if (token.kind === 'atom' && CLAUSES.has(token.text.toLowerCase())) {
      const keyword = token.text.toLowerCase() as Clause;
      // Mimecast writes "with ESMTP with STARTTLS": a second `with` continues the first.
      if (keyword === 'with' && clause === 'with' && out.withAtoms.length > 0) {
        out.withAtoms.push(token.text);
        continue;
      }
      repeated = seen.has(keyword);
      if (repeated) out.junk++;
      seen.add(keyword);
      clause = keyword;
      valueTaken = false;
      continue;
    }
    if (token.kind === 'comment') {
      if (repeated) out.otherComments.push(token.text);
      else if (clause === 'from') out.fromComments.push(token.text);
      else if (clause === 'by') out.byComments.push(token.text);
      else if (clause === 'with') out.withComments.push(token.text);
      else out.otherComments.push(token.text);
      continue;
    }
    if (token.kind === 'comma') {
      if (clause !== 'for') out.junk++;
      continue;
    }
    if (token.kind === 'semicolon' || token.kind === 'stray' || repeated) {
      out.junk++;
      continue;
    }
    const text = token.text;
    switch (clause) {
      case 'pre':
        out.junk++;
        break;
      case 'from':
        if (!valueTaken && out.fromComments.length === 0 && out.fromLiterals.length === 0) out.fromWord = token;
        else if (token.kind === 'literal') out.fromLiterals.push(text);
        else out.junk++;
        valueTaken = true;
        break;
      case 'by':
        if (!valueTaken) out.byHost = text;
        else {
          if (out.byExtra.length < 8) out.byExtra.push(text);
          out.junk++;
        }
        valueTaken = true;
        break;
      case 'with':
        out.withAtoms.push(text);
        break;
      case 'via':
        if (out.viaAtoms.length < 8) out.viaAtoms.push(text);
        break;
      case 'id':
        if (!valueTaken) out.id = text;
        else out.junk++;
        valueTaken = true;
        break;
      case 'for':
        // Atoms never contain "<" or ">" (the tokenizer makes those angle tokens).
        if (!valueTaken) out.for = text.trim();
        valueTaken = true;
        break;
    }
  }
  return out;
}

/** The part after the last ";": the date, comments such as "(CEST)", and Courier's trailing "id …". */
function readDatePart(tokens: Token[]): { date: string | null; id: string | null; comments: string[]; junk: number } {
  const words: string[] = [];
  const comments: string[] = [];
  let id: string | null = null;
  let junk = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'comment') comments.push(token.text);
    else if (token.kind === 'atom' && token.text.toLowerCase() === 'id' && id === null) {
      const next = tokens[i + 1];
      if (next && next.kind !== 'comment' && next.kind !== 'semicolon' && next.kind !== 'comma' && next.kind !== 'stray') {
        id = next.text;
        i++;
      }
    } else if (token.kind === 'atom') words.push(token.text);
    else if (token.kind !== 'comma') junk++;
  }
  const date = parseReceivedDate(words);
  return { date, id, comments, junk: date === null && words.length > 0 ? junk + 1 : junk };
}

interface FromParts {
  helo: string | null;
  rdns: string | null;
  address: string | null;
  /** Indexes of from-clause comments that carry the peer's address or HELO (client-influenced text). */
  tcpInfo: Set<number>;
}

/**
 * The from clause's three facts. MTAs disagree on what the word after "from" is:
 *  - Postfix, Sendmail, Courier, Microsoft: `from HELO (rdns [address])` or `from HELO (address)`;
 *  - qmail, qpsmtpd, CommuniGate, ZMailer, Exim when the HELO differs from the reverse
 *    name: `from rdns (HELO name) (address)`, `from rdns ([address] helo=name)`,
 *    `from [address] (HELO name)`, `from rdns ([address]:port "EHLO name" …)`.
 * So: when a comment names the HELO explicitly, the word after "from" is the reverse name
 * (unless it is "unknown" or an address literal); otherwise it is the HELO. An address
 * literal after "from" with no address in any comment is the peer's address and no HELO
 * (what badmx's own stamp writes when the client never greeted).
 */
function readFrom(word: ValueToken | null, comments: string[], literals: string[]): FromParts {
  const tcpInfo = new Set<number>();
  let helo: string | null | undefined;
  let address: string | null = null;
  let rdns: string | null = null;
  for (let i = 0; i < comments.length; i++) {
    const text = comments[i] ?? '';
    const named = heloIn(text);
    if (named !== undefined) {
      tcpInfo.add(i);
      helo ??= named;
    }
    const found = addressIn(text);
    if (found) {
      tcpInfo.add(i);
      if (address === null) {
        address = found.address;
        rdns = found.rdns;
      }
    }
  }
  for (const literal of literals) address ??= addressIn(literal)?.address ?? null;
  const wordText = word?.text ?? null;
  const wordAddress = word?.kind === 'literal' ? (addressIn(word.text)?.address ?? null) : null;

  if (helo !== undefined) {
    if (rdns === null && wordText !== null && wordAddress === null && isHostname(wordText)) rdns = wordText;
    address ??= wordAddress;
    return { helo: helo === '' ? null : helo, rdns, address, tcpInfo };
  }
  if (wordAddress !== null && address === null) return { helo: null, rdns, address: wordAddress, tcpInfo };
  // Exim 3: `from rdns (helo) [address]`: a comment that is only a host name, the address outside it.
  const eximHelo = comments.find((text) => isHostname(text.trim()));
  if (eximHelo !== undefined && literals.length > 0 && wordText !== null && isHostname(wordText)) {
    return { helo: eximHelo.trim(), rdns: wordText, address, tcpInfo };
  }
  // Webmail and HTTP gateways write the client's bare address after "from".
  if (address === null && wordText !== null && word?.kind === 'atom' && isIP(wordText) !== 0) address = wordText;
  return { helo: wordText, rdns, address, tcpInfo };
}

/** The HELO/EHLO argument a from-clause comment names, '' when it names an empty one, undefined when none. */
function heloIn(text: string): string | undefined {
  const match = /(?:^|[^A-Za-z0-9_-])(?:helo=|helo |ehlo )([^\s()"]*)/i.exec(text);
  return match ? (match[1] ?? '') : undefined;
}

/**
 * The first IP address in a comment, with the host name just before it when it is in
 * brackets (`rdns [address]`): `[192.0.2.1]`, `[192.0.2.1]:25`, `[IPv6:2001:db8::1]`,
 * `[::ffff:192.0.2.1]`, `192.0.2.1`, `ident@192.0.2.1`, Exim 3's `[192.0.2.1.25]`, bare IPv6.
 */
function addressIn(text: string): { address: string; rdns: string | null } | null {
  const words = text.split(/[\s()]+/);
  for (let i = 0; i < words.length; i++) {
    let word = trimQuotes(words[i] ?? '');
    const bracketed = word.startsWith('[');
    if (bracketed) {
      const close = word.indexOf(']');
      word = word.slice(1, close < 0 ? undefined : close);
    }
    const address = asAddress(word);
    if (address === null) continue;
    const before = bracketed && i > 0 ? (words[i - 1] ?? '') : '';
    return { address, rdns: before && isHostname(before) ? before : null };
  }
  return null;
}

function trimQuotes(word: string): string {
  let start = 0;
  let end = word.length;
  while (start < end && word[start] === '"') start++;
  while (end > start && word[end - 1] === '"') end--;
  return word.slice(start, end);
}

function asAddress(word: string): string | null {
  let candidate = word.replace(/^IPv6:/i, '');
  const at = candidate.lastIndexOf('@');
  if (at >= 0) candidate = candidate.slice(at + 1);
  if (isIP(candidate) !== 0) return candidate;
  const withPort = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})[:.]\d{1,5}$/.exec(candidate);
  if (withPort && isIP(withPort[1] ?? '') === 4) return withPort[1] ?? null;
  return null;
}

/**
 * node:net's isIP, after a scan that turns away at once what cannot be an address (a host
 * name, a word): every comment word goes through here, and isIP's IPv6 expression is the
 * costliest thing in parsing a header block otherwise.
 */
function isIP(text: string): number {
  if (text.length < 2 || text.length > 45) return 0;
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e || c === 0x3a) separators++;
    // 0-9, A-F, a-f, and "%" for an IPv6 zone index (whose text isIP accepts freely)
    else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x25)) return text.includes('%') ? netIsIP(text) : 0;
  }
  return separators === 0 ? 0 : netIsIP(text);
}

/** A DNS name worth reporting as a reverse name: has a dot (or is localhost), is not an address, is not "unknown". */
function isHostname(text: string): boolean {
  if (isIP(text) !== 0 || /^unknown$/i.test(text)) return false;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(text)) return false;
  return text.includes('.') || /^localhost$/i.test(text);
}

/**
 * The receiving software: the first comment after the `by` host that is not an address
 * (Microsoft puts the server's address there), else a "Name version" comment in the
 * `with` clause, where Exim puts "(Exim 4.96)".
 */
function software(byComments: string[], withComments: string[]): string | null {
  for (const comment of byComments) {
    const text = comment.trim();
    if (text && addressIn(text) === null) return text;
  }
  for (const comment of withComments) {
    const text = comment.trim();
    if (/^[A-Za-z][\w.-]* v?\d/.test(text) && !tlsFactsFromComment(text).stated) return text;
  }
  return null;
}
