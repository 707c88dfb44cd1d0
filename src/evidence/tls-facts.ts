import type { HopTlsVersion } from './received-hop.js';

/** What one comment (or the `with` clause) states about TLS. `stated` is true when it says TLS was used at all. */
export interface TlsFacts {
  stated: boolean;
  version: HopTlsVersion | null;
  cipher: string | null;
  bits: number | null;
  verify: string | null;
}

export const NO_TLS_FACTS: TlsFacts = { stated: false, version: null, cipher: null, bits: null, verify: null };

/**
 * A protocol version as MTAs write it, normalised: TLSv1.2 (OpenSSL, Postfix), TLS1_2
 * (Microsoft, Gmail), TLS1.2 (Exim), "TLS 1.2", TLS-1.2 (Exim with GnuTLS), TLS12 (Exclaimer,
 * CodeTwo); TLSv1, TLS1
 * and TLS1_0 are TLS 1.0; SSLv3 is SSLv3. Null when it is not one version: notably
 * "TLSv1/SSLv3", which is what OpenSSL's SSL_CIPHER_get_version() returns for every
 * cipher defined since SSLv3 and which Sendmail and Courier print: it names the cipher's
 * family, not the negotiated protocol.
 */
export function normalizeTlsVersion(text: string): HopTlsVersion | null {
  const t = text.trim();
  if (/^SSL[ _-]?v?3(?:[._]0)?$/i.test(t)) return 'SSLv3';
  // TLS12 and TLS13 (Exclaimer's tlsversion=, CodeTwo's "(TLS12)") run the digits together.
  const m = /^TLS[ _-]?v?[ _-]?1(?:[._]?([0-3]))?$/i.exec(t);
  if (!m) return null;
  switch (m[1] ?? '0') {
    case '0':
      return 'TLSv1.0';
    case '1':
      return 'TLSv1.1';
    case '2':
      return 'TLSv1.2';
    case '3':
      return 'TLSv1.3';
    default:
      return null;
  }
}

/** Does this text name a protocol version, even an ambiguous one ("TLSv1/SSLv3")? */
function looksLikeVersion(text: string): boolean {
  return normalizeTlsVersion(text) !== null || /^(?:TLS|SSL)[ _-]?v?\d/i.test(text.trim());
}

/**
 * The TLS facts stated by one comment of a Received field, in any of the forms MTAs
 * write them:
 *
 *   Postfix    (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange …)
 *              and, as a separate comment, the client-certificate verdict
 *              (No client certificate requested) / (Client CN "…", Issuer "…" (verified OK))
 *   Sendmail, Gmail, Proofpoint, badmx
 *              (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NOT)
 *   Microsoft  (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
 *   Exclaimer  (tlsversion=TLS12, tlscipher=TLS_ECDHE_WITH_AES256_SHA384)
 *   CodeTwo    with CodeTwo SMTP Server (TLS12) via SMTP   (the version alone)
 *   Exim ≤4.92 (TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256), with GnuTLS (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)
 *   OpenSMTPD  (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)   (the last field: client certificate verified)
 *   Exim ≥4.93 (TLS1.3)   (the cipher follows the comment as `tls <cipher>`: see withClauseCipher)
 *   qmail, qpsmtpd (DHE-RSA-AES256-SHA encrypted)
 *   Courier    (TLS: TLSv1/SSLv3,256bits,AES256-GCM-SHA384), also inside (AUTH: LOGIN u, SSL: …)
 *   Haraka     (tls TLS_AES_256_GCM_SHA384)
 *   Postini    (using TLSv1)   (the version alone)
 *   Exim 3     (Cipher TLSv1:DES-CBC3-SHA:168)
 *   Telekom    (TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384 encrypted)
 *   Exchange 2010, others   (TLS), (SSL)   (TLS, nothing more)
 *
 * Bits are the number written, as written (old Exim with GnuTLS wrote the key size in
 * bytes there, e.g. `:16` for RC4-128). Every pattern is a plain scan without nested
 * quantifiers, so the cost is linear in the comment's length.
 */
export function tlsFactsFromComment(comment: string): TlsFacts {
  const text = collapseSpace(withoutQuotedStrings(comment));
  if (text.length === 0) return NO_TLS_FACTS;

  const postfix = /\busing (\S+) with cipher (\S+)(?: \((\d+)\/\d+ bits\))?/.exec(text);
  if (postfix) {
    return { stated: true, version: normalizeTlsVersion(postfix[1] ?? ''), cipher: postfix[2] ?? null, bits: toBits(postfix[3]), verify: null };
  }

  // Postini: "(using TLSv1)", "(using SSLv3)": the version alone.
  const usingOnly = /^using (\S+)$/.exec(text);
  if (usingOnly && looksLikeVersion(usingOnly[1] ?? '')) return { ...NO_TLS_FACTS, stated: true, version: normalizeTlsVersion(usingOnly[1] ?? '') };

  const verify = postfixVerify(text);
  if (verify !== null) return { ...NO_TLS_FACTS, verify };

  // Vendors name the keys their own way: Exclaimer writes (tlsversion=TLS12, tlscipher=…).
  if (/(?:^|[\s,])(?:tls[_-]?)?(?:version|cipher)=/i.test(text)) {
    const facts: TlsFacts = { stated: true, version: null, cipher: null, bits: null, verify: null };
    for (const pair of text.split(/[\s,;]+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const key = pair.slice(0, eq).toLowerCase().replace(/^tls[_-]?/, '');
      const value = pair.slice(eq + 1);
      if (key === 'version') facts.version = normalizeTlsVersion(value);
      else if (key === 'cipher' && value) facts.cipher = value;
      else if (key === 'bits') facts.bits = toBits(/^\d+/.exec(value)?.[0]);
      else if (key === 'verify' && value) facts.verify = value;
    }
    return facts;
  }

  const courier = /(?:^|[\s,])(?:TLS|SSL): ([^,\s]+),(\d+)bits,([^,\s]+)/.exec(text);
  if (courier) {
    return { stated: true, version: normalizeTlsVersion(courier[1] ?? ''), cipher: courier[3] ?? null, bits: toBits(courier[2]), verify: null };
  }

  const parts = text.replace(/^Cipher /i, '').split(':');
  if ((parts.length === 3 || parts.length === 4) && looksLikeVersion(parts[0] ?? '') && !parts.some((p) => p === '' || /\s/.test(p))) {
    const bits = /^\d+$/.test(parts[2] ?? '') ? toBits(parts[2]) : null;
    return { stated: true, version: normalizeTlsVersion(parts[0] ?? ''), cipher: parts[1] ?? null, bits, verify: parts[3] ?? null };
  }

  if (normalizeTlsVersion(text) !== null) return { ...NO_TLS_FACTS, stated: true, version: normalizeTlsVersion(text) };

  // Exchange 2010 "with Microsoft SMTP Server (TLS)", "with SMTP (SSL)": TLS, nothing more.
  if (/^(?:TLS|SSL)$/i.test(text)) return { ...NO_TLS_FACTS, stated: true };

  const qmail = /^(\S+) encrypted$/i.exec(text);
  if (qmail) {
    // Deutsche Telekom writes the version before the cipher: "(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384 encrypted)".
    const word = qmail[1] ?? '';
    const colon = word.indexOf(':');
    if (colon > 0 && looksLikeVersion(word.slice(0, colon))) {
      return { ...NO_TLS_FACTS, stated: true, version: normalizeTlsVersion(word.slice(0, colon)), cipher: word.slice(colon + 1) || null };
    }
    return { ...NO_TLS_FACTS, stated: true, cipher: word || null };
  }

  const haraka = /^tls (\S+)$/i.exec(text);
  if (haraka) return { ...NO_TLS_FACTS, stated: true, cipher: haraka[1] ?? null };

  return NO_TLS_FACTS;
}

/**
 * Postfix states what became of the client certificate in a comment of its own
 * (smtpd_tls_received_header): "No client certificate requested", "Client did not present
 * a certificate", or `Client CN "…", Issuer "…" (verified OK | not verified)`. Kept as written.
 */
function postfixVerify(text: string): string | null {
  if (/^No client certificate requested$/i.test(text) || /^Client did not present a certificate$/i.test(text)) return text;
  if (/^Client CN\b/i.test(text)) {
    const open = text.lastIndexOf('(');
    const close = text.lastIndexOf(')');
    if (open >= 0 && close > open) return text.slice(open + 1, close);
    return text;
  }
  return null;
}

/**
 * Newer Exim (≥ 4.93) writes `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`: the
 * cipher is two atoms of the `with` clause. Returns the cipher after an atom `tls`.
 */
export function withClauseCipher(atoms: string[]): string | null {
  for (let i = 1; i + 1 < atoms.length; i++) {
    if ((atoms[i] ?? '').toLowerCase() === 'tls') return atoms[i + 1] ?? null;
  }
  return null;
}

/** Combine the facts of several comments: the first that states each value wins. */
export function mergeTlsFacts(all: TlsFacts[]): TlsFacts {
  const merged: TlsFacts = { ...NO_TLS_FACTS };
  for (const facts of all) {
    merged.stated ||= facts.stated;
    merged.version ??= facts.version;
    merged.cipher ??= facts.cipher;
    merged.bits ??= facts.bits;
    merged.verify ??= facts.verify;
  }
  return merged;
}

/**
 * What the protocol keyword alone says (RFC 3848 §1, RFC 6531 §3.7.3, RFC 2033 LMTP, the
 * IANA "Mail Transmission Types" registry) when nothing else in the field speaks of TLS:
 *  - true: an "S" variant (ESMTPS, ESMTPSA, LMTPS, UTF8SMTPS, …), SMTPS / SMTPSA (implicit TLS:
 *    Zoho, Yahoo, Gmail), HTTPS (Microsoft 365, webmail front ends), CommuniGate's ESMTP-TLS;
 *  - false: the plain registered keywords (SMTP, ESMTP, ESMTPA, LMTP, UTF8SMTP, …); "local"
 *    (a local process, no network hop); Microsoft's "Microsoft SMTP Server" and "Microsoft
 *    SMTPSVC", because Microsoft writes "(TLS)", "(version=…, cipher=…)" or "over TLS secured
 *    channel" whenever the session used TLS, so the bare name is its plaintext form;
 *  - null (says nothing): "HTTP" (Gmail, Yahoo, SendGrid, Mailgun and SquirrelMail write it for
 *    HTTPS sessions too), IMAP and POP3 (fetchmail writes the fetch protocol whether or not it used
 *    TLS), "mapi", Exim's "asmtp", "spam-scanned", Novell_GroupWise, anything unregistered.
 * Case-insensitive, because Exim writes them in lower case.
 */
export function tlsFromProtocolKeyword(keyword: string | null): boolean | null {
  if (keyword === null) return null;
  const k = keyword.toUpperCase();
  if (TLS_KEYWORDS.has(k)) return true;
  if (PLAIN_KEYWORDS.has(k) || k.startsWith('MICROSOFT SMTPSVC') || k === 'MICROSOFT SMTP SERVER') return false;
  return null;
}

const TLS_KEYWORDS = new Set(['ESMTPS', 'ESMTPSA', 'LMTPS', 'LMTPSA', 'UTF8SMTPS', 'UTF8SMTPSA', 'UTF8LMTPS', 'UTF8LMTPSA', 'SMTPS', 'SMTPSA', 'HTTPS', 'ESMTP-TLS']);
// LOCAL and its kin name a submission by a local process (Exim's local-bsmtp/local-smtp/local-esmtp,
// CommuniGate's PIPE, Sendmail's "internal" for a message it made itself): no network hop, so no TLS.
const PLAIN_KEYWORDS = new Set(['SMTP', 'ESMTP', 'ESMTPA', 'LMTP', 'LMTPA', 'UTF8SMTP', 'UTF8SMTPA', 'UTF8LMTP', 'UTF8LMTPA', 'LOCAL', 'LOCAL-BSMTP', 'LOCAL-SMTP', 'LOCAL-ESMTP', 'PIPE', 'INTERNAL']);

function toBits(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return null;
  return Number(text);
}

/**
 * Quoted strings inside a comment are text the client chose (ZMailer quotes the EHLO
 * argument there): drop them before looking for TLS facts, so that an EHLO name such as
 * "version=TLSv1.3" can never be read as the receiver's own statement.
 */
function withoutQuotedStrings(text: string): string {
  if (!text.includes('"')) return text;
  const out: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted && c === '\\') {
      i++;
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
      out.push(' ');
      continue;
    }
    if (!quoted) out.push(c);
  }
  return out.join('');
}

function collapseSpace(text: string): string {
  if (!/\s\s|[^\S ]|^ | $/.test(text)) return text;
  return text.split(/\s+/).filter(Boolean).join(' ');
}
