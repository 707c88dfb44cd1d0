/** A TLS protocol version as a Received field states it, normalised (TLS1_2, TLS 1.2, TLSv1.2 → TLSv1.2). */
export type HopTlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * Where a hop's TLS reading comes from, strongest first:
 *  - `comment`: a comment of the field states TLS facts (Postfix `(using TLSv1.3 with cipher …)`,
 *    Sendmail/Gmail `(version=… cipher=…)`, Microsoft `(version=TLS1_2, cipher=…)` or `(TLS)`,
 *    Exim `(TLSv1.2:cipher:256)` or `(TLS1.3) tls cipher`, qmail `(cipher encrypted)`, …), whatever the keyword says;
 *  - `clause`: the field's own words outside comments state TLS: a vendor's token sequence in the
 *    `with` clause (Cisco `with ESMTP/TLS/cipher`, MessageLabs `with cipher encrypted SMTP`, Mimecast
 *    `with ESMTP with STARTTLS`, `with ESMTP via SSL`) or Microsoft's `over TLS secured channel`;
 *  - `keyword`: only the protocol keyword speaks (RFC 3848 / RFC 6531 `ESMTPS`, `SMTPS`, `HTTPS` say TLS;
 *    `ESMTP`, `SMTP`, `LMTP`, `local`, Microsoft's bare `Microsoft SMTP Server` say no TLS);
 *  - `none`: the field states neither (`tls` is `'unknown'`).
 */
export type HopTlsBasis = 'comment' | 'clause' | 'keyword' | 'none';

/**
 * One Received field (RFC 5321 §4.4, RFC 5322 §3.6.7), read into what it claims about one
 * hop. Every value is what the field *says*, as its writer put it: a Received field is
 * written by the receiving MTA and only the topmost one (our own) is trustworthy.
 * Part of run.json (`cells[].hops`): change only by adding fields.
 */
export interface ReceivedHop {
  /** The field value, unfolded (CRLF+WSP -> single space), without "Received:". */
  raw: string;
  from: { helo: string | null; rdns: string | null; address: string | null };
  by: { host: string | null; software: string | null };
  /** Protocol keyword as written, e.g. ESMTPS, ESMTPSA, SMTP, LMTP, UTF8SMTPS. */
  with: string | null;
  id: string | null;
  for: string | null;
  /** ISO 8601 UTC when the date parses, else null. */
  date: string | null;
  tls: {
    tls: boolean | 'unknown';
    version: HopTlsVersion | null;
    cipher: string | null;
    bits: number | null;
    verify: string | null;
    /**
     * How sure the reading is: which part of the field stated it (see HopTlsBasis). Always set by
     * parseReceived; optional only because run.json documents written before it was added lack it.
     */
    basis?: HopTlsBasis;
    /**
     * The words of the field the reading rests on, as written (white space collapsed): the comment
     * (`version=TLS1_2, cipher=…`), the clause tokens (`ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384`,
     * `over TLS secured channel`) or the keyword (`ESMTPS`, `Microsoft SMTP Server`). Null for `none`.
     * Always set by parseReceived; optional only for run.json documents written before it was added.
     */
    statement?: string | null;
  };
}
