import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBounce, type BounceRecipient, type ParsedBounce } from '../../src/evidence/parse-bounce.js';

const FIXTURES = new URL('./fixtures/bounces/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
const fixtureText = (name: string): string => fixture(name).toString('utf8');

const ACTIONS = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];
const nullableString = (value: unknown): boolean => value === null || typeof value === 'string';

/** The ParsedBounce contract, field by field: what a caller may rely on for any input. */
function assertShape(result: ParsedBounce | null): void {
  if (result === null) return;
  expect(Object.keys(result).sort()).toEqual(['addresses', 'envelopeId', 'format', 'originalMessageIds', 'recipients']);
  expect(['rfc3464', 'qmail', 'exim-plain', 'postfix-plain', 'sendmail-plain', 'generic']).toContain(result.format);
  expect(nullableString(result.envelopeId)).toBe(true);
  expect(result.addresses.length).toBeLessThanOrEqual(200);
  expect(new Set(result.addresses).size).toBe(result.addresses.length);
  for (const address of result.addresses) {
    expect(address).toBe(address.toLowerCase());
    expect(address).toMatch(/^[^\s@]+@[^\s@]+$/);
  }
  for (const id of result.originalMessageIds) expect(id).toMatch(/^<[^<>\s]+>$/);
  for (const recipient of result.recipients) {
    expect(Object.keys(recipient).sort()).toEqual(['action', 'diagnostic', 'finalRecipient', 'originalRecipient', 'remoteMta', 'status']);
    expect(ACTIONS).toContain(recipient.action);
    if (recipient.status !== null) expect(recipient.status).toMatch(/^[245]\.\d{1,3}\.\d{1,3}$/);
    for (const value of [recipient.finalRecipient, recipient.originalRecipient, recipient.remoteMta, recipient.diagnostic]) expect(nullableString(value)).toBe(true);
    for (const address of [recipient.finalRecipient, recipient.originalRecipient]) if (address !== null) expect(address).toBe(address.toLowerCase());
    if (recipient.diagnostic !== null) {
      expect(recipient.diagnostic.length).toBeLessThanOrEqual(500);
      expect(recipient.diagnostic).not.toMatch(/[\r\n\t]|\s{2}/);
      expect(recipient.diagnostic).toBe(recipient.diagnostic.trim());
    }
  }
  expect(() => JSON.stringify(result)).not.toThrow();
}

function recipient(fields: Partial<BounceRecipient> & Pick<BounceRecipient, 'action'>): BounceRecipient {
  return { status: null, finalRecipient: null, originalRecipient: null, remoteMta: null, diagnostic: null, ...fields };
}

interface Sample {
  file: string;
  format: string;
  recipients: BounceRecipient[];
  originalMessageIds: string[];
  /** Addresses that must be among `addresses` (the probe's recipient and envelope sender, in badmx terms). */
  mentions: string[];
}

const SAMPLES: Sample[] = [
  {
    file: 'postfix-rfc3464-dmarc.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.7.26',
        finalRecipient: 'kijitora@google.example.com',
        originalRecipient: 'kijitora@google.example.com',
        remoteMta: 'gmail-smtp-in.l.google.com',
        diagnostic:
          "550-5.7.26 Unauthenticated email from libsisimai.org is not accepted due to 550-5.7.26 domain's DMARC policy. Please contact the administrator of 550-5.7.26 libsisimai.org domain if this was a legitimate mail. Please visit 550-5.7.26 https://support.google.com/mail/answer/2451690 to learn about the 550 5.7.26 DMARC initiative. z2si1584129pfn.61 - gsmtp",
      }),
    ],
    originalMessageIds: ['<20201113004243.AF578C0196A@smtp.example.jp>'],
    mentions: ['kijitora@google.example.com', 'postmaster@sisimai.example.com', 'postmaster@libsisimai.org'],
  },
  {
    file: 'postfix-rfc3464-delay-mixed.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'delayed',
        status: '4.3.0',
        finalRecipient: 'kijitora-cat@mx4.gr3.example.jp',
        originalRecipient: 'kijitora-nyaaaaaan@example.co.jp',
        diagnostic: 'Quota exceeded message delivery failed to /var/mail/box/u/00/f/kijitora/INBOX',
      }),
    ],
    // From the quoted-printable text/rfc822-headers part.
    originalMessageIds: ['<00000000000000000000000000000000000000000@example.org>'],
    mentions: ['kijitora-cat@mx4.gr3.example.jp', 'shironeko@example.org'],
  },
  {
    file: 'postfix-plain.eml',
    format: 'postfix-plain',
    recipients: [recipient({ action: 'failed', finalRecipient: 'kijitora@example.com', diagnostic: 'Name service error for domain example.com: Host not found, try again' })],
    originalMessageIds: ['<ffffffffffffffff000000002@neko.nyaan.example.jp>'],
    mentions: ['kijitora@example.com', 'sironeko@example.or.jp'],
  },
  {
    file: 'sendmail-rfc3464.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.1.1',
        finalRecipient: 'userunknown@example.org',
        remoteMta: 'mx.example.org',
        diagnostic: '550 5.1.1 <userunknown@example.org>... User Unknown',
      }),
      recipient({
        action: 'failed',
        status: '5.2.1',
        finalRecipient: 'filtered@example.com',
        remoteMta: 'mx.example.com',
        diagnostic: '550 5.2.1 <filtered@example.com>... User Unknown',
      }),
    ],
    originalMessageIds: ['<C6625D0F-A302-4980-BEAB-2AF883EA0116@example.jp>'],
    mentions: ['kijitora@example.jp', 'userunknown@example.org', 'filtered@example.org'],
  },
  {
    file: 'sendmail-rfc3464-delay.eml',
    format: 'rfc3464',
    // "Diagnostic-Code: SMTP; " says nothing: null, not an empty string.
    recipients: [recipient({ action: 'delayed', status: '4.5.0', finalRecipient: 'this-local-part-does-not-exist-on-the-system@y-mobile.ne.jp' })],
    originalMessageIds: ['<54341A75-5EF4-4F06-9C5D-56D36A9283FC@example.jp>'],
    mentions: ['this-local-part-does-not-exist-on-the-system@y-mobile.ne.jp', 'shironeko@example.jp'],
  },
  {
    file: 'sendmail-plain.eml',
    format: 'sendmail-plain',
    recipients: [
      recipient({
        action: 'failed',
        // From the transcript's per-recipient line "550 5.1.1 gail.windy@example.com... User unknown".
        status: '5.1.1',
        finalRecipient: 'gail.windy@example.com',
        originalRecipient: 'gail.windy@example.net',
        remoteMta: 'cluster5.eu.messagelabs.com',
        diagnostic: '553 Sender Policy Framework (SPF) fail',
      }),
    ],
    originalMessageIds: ['<E1XdrvQ-0003tw-CN@list.example.co.uk>'],
    mentions: ['gail.windy@example.com', 'update@list.example.co.uk'],
  },
  {
    file: 'sendmail-v5-plain.eml',
    format: 'sendmail-plain',
    recipients: [
      recipient({
        action: 'failed',
        finalRecipient: 'kijitora@example.org',
        remoteMta: 'mailin1.example.org',
        diagnostic: '501 <shironeko@example.co.jp>... no access from mail server [192.0.2.55] which is an open relay.',
      }),
      recipient({ action: 'failed', finalRecipient: 'mikeneko@example.org', diagnostic: '550 Host unknown (Authoritative answer from name server)' }),
      recipient({ action: 'failed', finalRecipient: 'hachiware@example.edu', remoteMta: 'smtp.example.edu', diagnostic: '550 <hachiware@example.edu>... User unknown' }),
    ],
    originalMessageIds: [],
    mentions: ['shironeko@example.co.jp'],
  },
  {
    file: 'exim-dsn.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.0.0',
        finalRecipient: 'kijitora@example.net',
        remoteMta: 'mail-mx1.example.net',
        diagnostic: '550 5.7.1 Connections not accepted from servers without a valid sender domain. Fix reverse DNS for 203.0.113.2',
      }),
    ],
    // The anonymised sample reuses the notice's Message-Id for the returned message.
    originalMessageIds: ['<neko222-nyaaan-22@neko.example.com>'],
    mentions: ['kijitora@example.net', 'sironeko-nyaan@neko.example.com'],
  },
  {
    file: 'exim-plain.eml',
    format: 'exim-plain',
    recipients: [
      recipient({ action: 'failed', status: '5.1.1', finalRecipient: 'kijitora@example.jp', remoteMta: 'mx.example.jp', diagnostic: '550 5.1.1 <kijitora@example.jp>... User Unknown' }),
      recipient({ action: 'failed', status: '5.2.1', finalRecipient: 'sabatora@example.jp', remoteMta: 'mx.example.jp', diagnostic: '550 5.2.1 <sabatora@example.jp>... User Unknown' }),
    ],
    originalMessageIds: ['<E1X58pB-0004bW-2s@marutamachi.example.org>'],
    mentions: ['kijitora@example.jp', 'sabatora@example.jp', 'shironeko@example.jp'],
  },
  {
    file: 'exim-plain-delay.eml',
    format: 'exim-plain',
    recipients: [
      recipient({
        action: 'delayed',
        finalRecipient: 'kijitora@example.co.jp',
        remoteMta: 'mta-nyaan.example.co.jp',
        diagnostic: '450 service permits 2 unverifyable sending IPs - neko.example.com is not 203.0.113.222',
      }),
    ],
    originalMessageIds: [],
    mentions: ['kijitora@example.co.jp', 'sironeko-nyaan@neko.example.com'],
  },
  {
    file: 'qmail.eml',
    format: 'qmail',
    recipients: [
      recipient({ action: 'failed', status: '5.1.1', finalRecipient: 'userunknown@example.jp', remoteMta: '192.0.2.153', diagnostic: '550 5.1.1 <userunknown@example.jp>... User Unknown' }),
      recipient({ action: 'failed', status: '5.2.1', finalRecipient: 'filtered@example.jp', remoteMta: '192.0.2.153', diagnostic: '550 5.2.1 <filtered@example.jp>... User Unknown' }),
    ],
    originalMessageIds: [],
    mentions: ['userunknown@example.jp', 'shironeko@example.jp', 'kijitora@example.jp'],
  },
  {
    file: 'qmail-mime.eml',
    format: 'qmail',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.7.26',
        finalRecipient: 'pseudo-local-part-of-each-esp@gmail.com',
        remoteMta: '74.125.203.26',
        diagnostic:
          "550-5.7.26 Unauthenticated email from example.jp is not accepted due to domain's 550-5.7.26 DMARC policy. Please contact the administrator of example.jp domain if 550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go 550-5.7.26 to 550 5.7.26 https://support.google.com/mail/?p=DmarcRejection d9443c01a7336-1f9eb3b6e81si99625855ad.239 - gsmtp",
      }),
    ],
    originalMessageIds: ['<20240626062058.58879.qmail@email.example.jp>'],
    mentions: ['pseudo-local-part-of-each-esp@gmail.com', 'postmaster@email.example.jp'],
  },
  {
    file: 'gmail-tls.eml',
    format: 'generic',
    recipients: [recipient({ action: 'failed', finalRecipient: 'kijitora@example.ed.jp', diagnostic: '500 Remote server does not support TLS (state 6).' })],
    // Quoted after "----- Original message -----".
    originalMessageIds: ['<000000000000000000000000000000000@mail.example.com>'],
    mentions: ['kijitora@example.ed.jp', 'shironeko@example.com'],
  },
  {
    file: 'gmail-delay.eml',
    format: 'generic',
    recipients: [recipient({ action: 'delayed', status: '4.2.2', finalRecipient: 'kijitora@example.jp', diagnostic: '450 450 4.2.2 <kijitora@example.jp>... Mailbox Full (state 14).' })],
    originalMessageIds: ['<A4D6026C-0699-460F-9F86-C2A5CB4BE6CE@gmail.com>'],
    mentions: ['kijitora@example.jp', 'this-local-part-does-not-exist-on-google-mail@gmail.com'],
  },
  {
    file: 'office365-rfc3464.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.1.0',
        finalRecipient: 'kijitora@example.com',
        remoteMta: 'neko-smtp-02-22.prod.cats.secureserver.net',
        diagnostic:
          "550 5.1.0 192.0.2.222 is not allowed to send from <example.net> per it's SPF Record. Please inspect your SPF settings, and try again. IB508 <http://x.co/srbounce>",
      }),
    ],
    // Only quoted in the human-readable part, after "Original message headers:".
    originalMessageIds: ['<000000000000.2222.22222222222200000000@NEKO-NYAAN>'],
    mentions: ['kijitora@example.com', 'sironeko@example.net'],
  },
  {
    file: 'office365-no-dsn.eml',
    format: 'generic',
    recipients: [
      recipient({ action: 'failed', status: '5.1.10', finalRecipient: 'kijitora@example.com', diagnostic: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' }),
    ],
    originalMessageIds: ['<FFFFFFFF.EEEEEEEE@example.ed.jp>'],
    // The RFC 8601 "smtp.mailfrom=" key is not part of the address.
    mentions: ['kijitora@example.com', 'sironeko@example.ed.jp'],
  },
  {
    file: 'amazonses.eml',
    format: 'rfc3464',
    recipients: [
      recipient({
        action: 'failed',
        status: '5.0.0',
        finalRecipient: 'shironeko@example.co.jp',
        remoteMta: '[192.0.2.222]',
        diagnostic:
          "5.1.0 - Unknown address error 550-'5.7.1 <000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email-bounces.amazonses.com>... Access denied' (delivery attempts: 0)",
      }),
    ],
    originalMessageIds: ['<000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com>'],
    // The VERP envelope sender, split by a quoted-printable soft line break in the text part.
    mentions: ['shironeko@example.co.jp', 'kijitora@example.jp', '000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email-bounces.amazonses.com'],
  },
];

const NOT_BOUNCES = ['not-bounce-plain.eml', 'not-bounce-attachment.eml', 'not-bounce-quoted-dsn.eml'];

describe('parseBounce on real bounces from public sources', () => {
  it('has a corpus worth the name: every .eml here is tested and cited, and the required MTAs are covered', () => {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.eml'));
    expect(files.sort()).toEqual([...SAMPLES.map((sample) => sample.file), ...NOT_BOUNCES].sort());
    expect(SAMPLES.length).toBeGreaterThanOrEqual(10);
    const readme = readFileSync(new URL('README.md', FIXTURES), 'utf8');
    for (const file of files) expect(readme, file).toMatch(new RegExp(`\\| \`${file.replace(/\./g, '\\.')}\` \\|[^\\n]*\\| https://\\S+ \\|`));
    for (const kind of ['postfix', 'exim-dsn', 'exim-plain', 'sendmail', 'gmail', 'office365', 'amazonses', 'qmail']) {
      expect(SAMPLES.some((sample) => sample.file.startsWith(kind))).toBe(true);
    }
    expect(SAMPLES.some((sample) => sample.recipients.some((entry) => entry.action === 'delayed'))).toBe(true);
  });

  it.each(SAMPLES.map((sample) => [sample.file, sample] as const))('%s', (_, sample) => {
    const result = parseBounce(fixture(sample.file));
    assertShape(result);
    expect(result).not.toBeNull();
    expect(result?.format).toBe(sample.format);
    expect(result?.recipients).toEqual(sample.recipients);
    expect(result?.originalMessageIds).toEqual(sample.originalMessageIds);
    expect(result?.addresses).toEqual(expect.arrayContaining(sample.mentions));
    // Message-IDs are identifiers, not addresses.
    for (const id of sample.originalMessageIds) expect(result?.addresses).not.toContain(id.slice(1, -1).toLowerCase());
    expect(result?.envelopeId).toBeNull();
  });

  it.each(NOT_BOUNCES)('%s is an ordinary message: null', (file) => {
    expect(parseBounce(fixture(file))).toBeNull();
  });

  it('reads the same notice from a Buffer or a string, with LF, CRLF or bare CR line ends', () => {
    for (const sample of SAMPLES) {
      const lf = fixtureText(sample.file).replace(/\r\n/g, '\n');
      const expected = parseBounce(fixture(sample.file));
      expect(parseBounce(lf), sample.file).toEqual(expected);
      expect(parseBounce(lf.replace(/\n/g, '\r\n')), sample.file).toEqual(expected);
      expect(parseBounce(Buffer.from(lf.replace(/\n/g, '\r'))), sample.file).toEqual(expected);
    }
  });

  it('parses the real Posteo "TLS is required" block quoted in the netdev post once it is a delivery-status part', () => {
    const post = fixtureText('not-bounce-quoted-dsn.eml');
    const block = /--- snip ---\n([\s\S]*?)--- snap ---/.exec(post)?.[1];
    expect(block).toContain('Diagnostic-Code: X-Postfix;');
    const result = parseBounce(
      [
        'From: MAILER-DAEMON@mout01.posteo.de (Mail Delivery System)',
        'Subject: Undelivered Mail Returned to Sender',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mout01.posteo.de',
        '',
        block ?? '',
        '--b--',
      ].join('\n'),
    );
    expect(result?.format).toBe('rfc3464');
    expect(result?.recipients).toEqual([
      recipient({
        action: 'failed',
        status: '5.7.4',
        finalRecipient: 'netdev@vger.kernel.org',
        originalRecipient: 'netdev@vger.kernel.org',
        diagnostic: 'TLS is required, but was not offered by host vger.kernel.org[23.128.96.18]',
      }),
    ]);
  });
});

/** A Postfix-style RFC 3464 bounce of a badmx probe, built from parts so variants can re-encode them. */
function probeBounce(options: { reportType?: string; dsnHeaders?: string[]; dsn?: string; wrap?: boolean; close?: boolean } = {}): string {
  const dsn =
    options.dsn ??
    [
      'Reporting-MTA: dns; sender.badmx.test',
      'X-Postfix-Queue-ID: 4Q1B2C3D4E',
      'X-Postfix-Sender: rfc822; probe-sender@probes.badmx.test',
      'Original-Envelope-Id: probe-abc-3',
      'Arrival-Date: Mon,  5 Jan 2026 09:08:07 +0000 (UTC)',
      '',
      'Final-Recipient: rfc822; probe-abc-3@no-starttls.badmx.test',
      'Original-Recipient: rfc822;probe-abc-3@no-starttls.badmx.test',
      'Action: failed',
      'Status: 5.7.10',
      'Diagnostic-Code: X-Postfix; TLS is required, but was not offered by host',
      '    mx.no-starttls.badmx.test[127.0.2.1]',
      '',
    ].join('\n');
  const report = [
    `Content-Type: multipart/report; report-type=${options.reportType ?? 'delivery-status'};`,
    '\tboundary="4Q1B2C3D4E.1767604087/sender.badmx.test"',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--4Q1B2C3D4E.1767604087/sender.badmx.test',
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host sender.badmx.test.',
    '',
    "I'm sorry to have to inform you that your message could not",
    "be delivered to one or more recipients. It's attached below.",
    '',
    '                   The mail system',
    '',
    '<probe-abc-3@no-starttls.badmx.test>: TLS is required, but was not offered by',
    '    host mx.no-starttls.badmx.test[127.0.2.1]',
    '',
    '--4Q1B2C3D4E.1767604087/sender.badmx.test',
    'Content-Description: Delivery report',
    ...(options.dsnHeaders ?? ['Content-Type: message/delivery-status']),
    '',
    dsn,
    '--4Q1B2C3D4E.1767604087/sender.badmx.test',
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    'Return-Path: <probe-sender@probes.badmx.test>',
    'Received: from runner.badmx.test (runner.badmx.test [127.0.0.1])',
    '\tby sender.badmx.test (Postfix) with ESMTP id 4Q1B2C3D4E',
    '\tfor <probe-abc-3@no-starttls.badmx.test>; Mon,  5 Jan 2026 09:08:07 +0000 (UTC)',
    'Message-ID: <probe-abc-3@probes.badmx.test>',
    'From: probe-sender@probes.badmx.test',
    'To: probe-abc-3@no-starttls.badmx.test',
    'Subject: badmx probe abc-3',
    '',
    ...(options.close === false ? [] : ['--4Q1B2C3D4E.1767604087/sender.badmx.test--', '']),
  ];
  const header = [
    'Return-Path: <>',
    'Date: Mon,  5 Jan 2026 09:08:09 +0000 (UTC)',
    'From: MAILER-DAEMON@sender.badmx.test (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    'To: probe-sender@probes.badmx.test',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Message-Id: <20260105090809.4Q1B2C3D4E@sender.badmx.test>',
  ];
  if (!options.wrap) return [...header, ...report].join('\n');
  // Some gateways put the whole report inside a multipart/mixed with a banner.
  return [
    ...header,
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    '--outer',
    'Content-Type: text/plain',
    '',
    'This notice was scanned by a gateway.',
    '--outer',
    ...report,
    '--outer--',
  ].join('\n');
}

const PROBE_RESULT: ParsedBounce = {
  format: 'rfc3464',
  recipients: [
    {
      action: 'failed',
      status: '5.7.10',
      finalRecipient: 'probe-abc-3@no-starttls.badmx.test',
      originalRecipient: 'probe-abc-3@no-starttls.badmx.test',
      remoteMta: null,
      diagnostic: 'TLS is required, but was not offered by host mx.no-starttls.badmx.test[127.0.2.1]',
    },
  ],
  originalMessageIds: ['<probe-abc-3@probes.badmx.test>'],
  addresses: ['probe-abc-3@no-starttls.badmx.test', 'probe-sender@probes.badmx.test', 'mailer-daemon@sender.badmx.test'],
  envelopeId: 'probe-abc-3',
};

const DSN_FIELDS = probeBounce()
  .split('Content-Type: message/delivery-status\n\n')[1]
  ?.split('--4Q1B2C3D4E')[0] as string;

describe('parseBounce on a badmx probe bounce (RFC 3464, RFC 6522)', () => {
  it('reads the synthetic no-STARTTLS probe bounce exactly', () => {
    expect(parseBounce(probeBounce())).toEqual(PROBE_RESULT);
  });

  it('reads it the same from a Buffer with CRLF line ends', () => {
    expect(parseBounce(Buffer.from(probeBounce().replace(/\n/g, '\r\n')))).toEqual(PROBE_RESULT);
  });

  it('decodes a base64 delivery-status part (RFC 2045 §6.8)', () => {
    const encoded = Buffer.from(DSN_FIELDS).toString('base64').replace(/.{76}/g, '$&\n');
    const result = parseBounce(probeBounce({ dsnHeaders: ['Content-Type: message/delivery-status', 'Content-Transfer-Encoding: base64'], dsn: encoded }));
    expect(result).toEqual(PROBE_RESULT);
  });

  it('decodes a quoted-printable delivery-status part with soft line breaks (RFC 2045 §6.7)', () => {
    const encoded = DSN_FIELDS.replace(/=/g, '=3D').replace(/TLS is required, /, 'TLS is req=\nuired,=20');
    expect(encoded).toContain('=\n');
    const result = parseBounce(probeBounce({ dsnHeaders: ['Content-Type: message/delivery-status', 'Content-Transfer-Encoding: Quoted-Printable'], dsn: encoded }));
    expect(result).toEqual(PROBE_RESULT);
  });

  it('finds the report inside a multipart/mixed wrapper', () => {
    expect(parseBounce(probeBounce({ wrap: true }))).toEqual(PROBE_RESULT);
  });

  it('tolerates a missing close delimiter (RFC 2046 §5.1.1) on a truncated notice', () => {
    expect(parseBounce(probeBounce({ close: false }))).toEqual(PROBE_RESULT);
  });

  it('reads field names in any case and values with comments (RFC 3464 §2.1.1)', () => {
    const dsn = DSN_FIELDS.replace('Final-Recipient', 'FINAL-RECIPIENT')
      .replace('Action: failed', 'action: Failed (no STARTTLS)')
      .replace('Status: 5.7.10', 'STATUS: 5.7.10 (encryption needed)');
    expect(parseBounce(probeBounce({ dsn }))?.recipients).toEqual(PROBE_RESULT.recipients);
  });

  it('reads message/global-delivery-status with a utf-8 address type (RFC 6533)', () => {
    const dsn = DSN_FIELDS.replace('Final-Recipient: rfc822; probe-abc-3@no-starttls.badmx.test', 'Final-Recipient: utf-8; pr\\x{F6}be-abc-3@no-starttls.badmx.test').replace(
      'Original-Recipient: rfc822;probe-abc-3@no-starttls.badmx.test',
      'Original-Recipient: utf-8;prÖbe-abc-3@no-starttls.badmx.test',
    );
    const result = parseBounce(probeBounce({ reportType: 'global-delivery-status', dsnHeaders: ['Content-Type: message/global-delivery-status'], dsn }));
    expect(result?.format).toBe('rfc3464');
    expect(result?.recipients[0]?.finalRecipient).toBe('pröbe-abc-3@no-starttls.badmx.test');
    expect(result?.recipients[0]?.originalRecipient).toBe('pröbe-abc-3@no-starttls.badmx.test');
    expect(result?.recipients[0]?.status).toBe('5.7.10');
    expect(result?.addresses).toContain('pröbe-abc-3@no-starttls.badmx.test');
    expect(result?.addresses.some((address) => address.startsWith('be-abc-3@'))).toBe(false);
  });

  it('splits recipients that an MTA ran together without a blank line', () => {
    const dsn = [
      'Reporting-MTA: dns; sender.badmx.test',
      '',
      'Final-Recipient: rfc822; a@one.badmx.test',
      'Action: failed',
      'Status: 5.7.10',
      'Final-Recipient: rfc822; b@two.badmx.test',
      'Action: delayed',
      'Status: 4.4.1',
      'Diagnostic-Code: X-Postfix; connect to mx.two.badmx.test[127.0.2.2]:25: Connection refused',
      '',
    ].join('\n');
    expect(parseBounce(probeBounce({ dsn }))?.recipients).toEqual([
      recipient({ action: 'failed', status: '5.7.10', finalRecipient: 'a@one.badmx.test' }),
      recipient({ action: 'delayed', status: '4.4.1', finalRecipient: 'b@two.badmx.test', diagnostic: 'connect to mx.two.badmx.test[127.0.2.2]:25: Connection refused' }),
    ]);
  });

  it('takes a missing Action from the Status class, and never calls a delay warning a failure', () => {
    const dsn = 'Reporting-MTA: dns; sender.badmx.test\n\nFinal-Recipient: rfc822; a@one.badmx.test\nStatus: 5.7.10\n\nFinal-Recipient: rfc822; b@two.badmx.test\nDiagnostic-Code: smtp; 451 4.7.5 try later\n';
    expect(parseBounce(probeBounce({ dsn }))?.recipients.map((entry) => [entry.action, entry.status])).toEqual([
      ['failed', '5.7.10'],
      ['delayed', '4.7.5'],
    ]);
    const warning = probeBounce({ dsn }).replace('Subject: Undelivered Mail Returned to Sender', 'Subject: Delayed Mail (still being retried)');
    expect(parseBounce(warning)?.recipients.map((entry) => entry.action)).toEqual(['delayed', 'delayed']);
  });

  it('cuts a long diagnostic to 500 characters on one line', () => {
    const dsn = `Final-Recipient: rfc822; a@one.badmx.test\nAction: failed\nDiagnostic-Code: smtp; 550 5.7.1 ${'very long reason\n '.repeat(100)}end\n`;
    const diagnostic = parseBounce(probeBounce({ dsn }))?.recipients[0]?.diagnostic;
    expect(diagnostic?.length).toBe(500);
    expect(diagnostic).toMatch(/^550 5\.7\.1 very long reason very long reason /);
  });

  it('ignores the delivery-status part of a bounce returned inside a bounce', () => {
    const inner = probeBounce();
    const outer = [
      'From: MAILER-DAEMON@relay.badmx.test',
      'Subject: Undelivered Mail Returned to Sender',
      'Content-Type: multipart/report; report-type=delivery-status; boundary=o',
      '',
      '--o',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; relay.badmx.test',
      '',
      'Final-Recipient: rfc822; probe-sender@probes.badmx.test',
      'Action: failed',
      'Status: 5.1.1',
      '',
      '--o',
      'Content-Type: message/rfc822',
      '',
      inner,
      '--o--',
    ].join('\n');
    const result = parseBounce(outer);
    expect(result?.recipients.map((entry) => entry.finalRecipient)).toEqual(['probe-sender@probes.badmx.test']);
    expect(result?.originalMessageIds).toEqual(['<20260105090809.4Q1B2C3D4E@sender.badmx.test>']);
    // Its addresses still count: the caller may be looking for them.
    expect(result?.addresses).toEqual(expect.arrayContaining(['probe-abc-3@no-starttls.badmx.test']));
  });

  it('looks at no more than the first 256 KiB', () => {
    const padded = probeBounce().replace('This is a MIME-encapsulated message.', `This is a MIME-encapsulated message.\n${'x'.repeat(80)}\n`.repeat(4000));
    expect(padded.length).toBeGreaterThan(300 * 1024);
    const result = parseBounce(padded);
    // The header still says "bounce", but the report past the limit is never read.
    expect(result?.format).toBe('generic');
    expect(result?.recipients).toEqual([]);
    expect(parseBounce(probeBounce() + '\n' + 'y'.repeat(2 * 1024 * 1024))).toEqual(PROBE_RESULT);
  });
});

describe('parseBounce on prose notices without a DSN part', () => {
  const notice = (subject: string, body: string, from = 'Mail Delivery System <MAILER-DAEMON@sender.badmx.test>'): string =>
    `From: ${from}\nTo: probe-sender@probes.badmx.test\nSubject: ${subject}\n\n${body}\n`;

  it.each([
    ['Undelivered Mail Returned to Sender', 'failed'],
    ['Mail delivery failed: returning message to sender', 'failed'],
    ['Delivery Status Notification (Failure)', 'failed'],
    ['Undeliverable: badmx probe abc-3', 'failed'],
    ['Undeliverable: order delayed', 'failed'],
    ['Warning: could not send message for past 4 hours', 'delayed'],
    ['Delivery Status Notification (Delay)', 'delayed'],
    ['Delayed Mail (still being retried)', 'delayed'],
    ['=?UTF-8?B?V2FybmluZzogY291bGQgbm90IHNlbmQgbWVzc2FnZSBmb3IgcGFzdCA0IGhvdXJz?=', 'delayed'],
  ])('recognises "%s" as a generic notice, action %s', (subject, action) => {
    const result = parseBounce(notice(subject, 'probe-abc-3@no-starttls.badmx.test\n\n550 5.7.10 Must issue a STARTTLS command first', 'someone@sender.badmx.test'));
    expect(result?.format).toBe('generic');
    expect(result?.recipients).toEqual([recipient({ action: action as BounceRecipient['action'], status: '5.7.10', finalRecipient: 'probe-abc-3@no-starttls.badmx.test', diagnostic: '550 5.7.10 Must issue a STARTTLS command first' })]);
  });

  it('reads a Postfix plain-text bounce about TLS, with the remote host', () => {
    const result = parseBounce(
      notice(
        'Undelivered Mail Returned to Sender',
        'This is the mail system at host sender.badmx.test.\n\n<probe-abc-3@no-starttls.badmx.test> (expanded from <alias@badmx.test>): TLS is required,\n    but was not offered by host mx.no-starttls.badmx.test[127.0.2.1]\n\n<b@two.badmx.test>: host mx.two.badmx.test[127.0.2.2] said: 550 5.7.1\n    Relaying denied (in reply to RCPT TO command)\n',
      ),
    );
    expect(result?.format).toBe('postfix-plain');
    expect(result?.recipients).toEqual([
      recipient({
        action: 'failed',
        finalRecipient: 'probe-abc-3@no-starttls.badmx.test',
        originalRecipient: 'alias@badmx.test',
        remoteMta: 'mx.no-starttls.badmx.test',
        diagnostic: 'TLS is required, but was not offered by host mx.no-starttls.badmx.test[127.0.2.1]',
      }),
      recipient({ action: 'failed', status: '5.7.1', finalRecipient: 'b@two.badmx.test', remoteMta: 'mx.two.badmx.test', diagnostic: '550 5.7.1 Relaying denied' }),
    ]);
  });

  it('keeps a Postfix plain-text delay warning delayed', () => {
    const result = parseBounce(
      notice(
        'Delayed Mail (still being retried)',
        'This is the mail system at host sender.badmx.test.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n<probe-abc-3@no-starttls.badmx.test>: TLS is required, but was not offered by host\n    mx.no-starttls.badmx.test[127.0.2.1]\n',
      ),
    );
    expect(result?.recipients.map((entry) => entry.action)).toEqual(['delayed']);
  });

  it('pairs Exchange-style recipients and "Remote Server returned" lines, and reads X-Failed-Recipients', () => {
    const body = [
      'Delivery has failed to these recipients or groups:',
      '',
      'Probe<mailto:probe-abc-3@no-starttls.badmx.test>',
      '',
      'Diagnostic information for administrators:',
      '',
      'probe-abc-3@no-starttls.badmx.test',
      "Remote Server returned '530 5.7.0 Must issue a STARTTLS command first'",
      '',
      'b@two.badmx.test',
      '#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##',
    ].join('\n');
    const result = parseBounce(notice('Undeliverable: probe', body, 'postmaster@two.badmx.test').replace('Subject:', 'X-Failed-Recipients: c@three.badmx.test\nSubject:'));
    expect(result?.recipients).toEqual([
      recipient({ action: 'failed', status: '5.7.0', finalRecipient: 'probe-abc-3@no-starttls.badmx.test', diagnostic: '530 5.7.0 Must issue a STARTTLS command first' }),
      recipient({ action: 'failed', status: '5.1.1', finalRecipient: 'b@two.badmx.test', diagnostic: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' }),
      recipient({ action: 'failed', finalRecipient: 'c@three.badmx.test' }),
    ]);
  });

  it('reads an HTML-only notice', () => {
    const html = '<html><body><p>Your message wasn&#39;t delivered to <b>probe-abc-3@no-starttls.badmx.test</b> because the remote server said:</p><p>550 5.7.1 &lt;probe-abc-3@no-starttls.badmx.test&gt; rejected</p></body></html>';
    const result = parseBounce(`From: MAILER-DAEMON@sender.badmx.test\nSubject: Mail delivery failed\nContent-Type: text/html; charset=utf-8\n\n${html}\n`);
    expect(result?.recipients).toEqual([recipient({ action: 'failed', status: '5.7.1', finalRecipient: 'probe-abc-3@no-starttls.badmx.test', diagnostic: '550 5.7.1 <probe-abc-3@no-starttls.badmx.test> rejected' })]);
  });
});

describe('parseBounce on ordinary messages', () => {
  it.each([
    ['a plain letter', 'From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: Lunch\nMessage-ID: <1@example.com>\n\nSee you at noon.\n'],
    ['a letter that opens like qmail', 'From: Alice <alice@example.com>\nSubject: Schedule\n\nHi. This is the new schedule for next week.\n\n<b>: see below\n'],
    ['an out-of-office reply that opens like qmail', 'Return-Path: <>\nFrom: Bob <bob@example.com>\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nHi. This is the autoresponder of Bob, back on Monday.\n'],
    ['a reply about a bounce', 'From: Alice <alice@example.com>\nSubject: Re: Undeliverable: Lunch\n\nDid you get my mail? It said 550 5.1.1 user unknown.\n'],
    ['a read receipt (RFC 8098)', 'From: Bob <bob@example.com>\nSubject: Read: Lunch\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; bob@example.com\nDisposition: manual-action/MDN-sent-manually; displayed\n--b--\n'],
    ['a postmaster writing as a person', 'From: postmaster@example.com\nSubject: Maintenance tonight\n\nThe mail server restarts at 22:00.\n'],
    ['an empty string', ''],
    ['headers only', 'From: alice@example.com\nSubject: x'],
  ])('%s is not a bounce', (_, message) => {
    expect(parseBounce(message)).toBeNull();
  });

  it('never throws on what is not a string or a Buffer', () => {
    const values: unknown[] = [undefined, null, 42, {}, [], new Uint8Array([0x48, 0x69])];
    for (const value of values) expect(() => parseBounce(value as string)).not.toThrow();
  });
});

/** Pieces real notices are made of, and the ones that break naive parsers. */
const piece = fc.oneof(
  fc.constantFrom(
    'From: MAILER-DAEMON@x.example\n',
    'From: postmaster@x.example\n',
    'Subject: Undeliverable: x\n',
    'Subject: Warning: could not send message for past 4 hours\n',
    'Content-Type: multipart/report; report-type=delivery-status; boundary=b\n',
    'Content-Type: multipart/mixed; boundary="b"\n',
    'Content-Type: message/delivery-status\n',
    'Content-Type: message/global-delivery-status\n',
    'Content-Type: message/rfc822\n',
    'Content-Type: text/rfc822-headers\n',
    'Content-Type: text/html\n',
    'Content-Transfer-Encoding: quoted-printable\n',
    'Content-Transfer-Encoding: base64\n',
    'X-Failed-Recipients: a@b.example\n',
    '--b\n',
    '--b--\n',
    'Final-Recipient: rfc822; ',
    'Original-Recipient: utf-8; \\x{110000}',
    'Action: ',
    'failed',
    'delayed',
    'Status: 5.7.1',
    'Diagnostic-Code: smtp; 550 5.7.1 x',
    'Remote-MTA: dns; ',
    'Original-Envelope-Id: ',
    'Message-ID: <a@b>\n',
    'Hi. This is the qmail-send program\n',
    'This message was created automatically by mail delivery software\n',
    'address(es) failed:\n',
    'This is the mail system at host x\n',
    '----- Transcript of session follows -----\n',
    '----- The following addresses had permanent fatal errors -----\n',
    '------ This is a copy of the message, including all the headers. ------\n',
    '>>> RCPT TO:<a@b.example>\n',
    '<<< 550 5.1.1 no\n',
    '... while talking to x.example.:\n',
    'Remote host said: ',
    "Remote Server returned '",
    'The response was:\n',
    '(reason: ',
    'host mx[192.0.2.1] said: ',
  ),
  fc.constantFrom('\n', '\n\n', '\r\n', '\r', ' ', '  ', '\t', '<', '>', '@', '(', ')', ';', ':', '=', '=3D', '=\n', '=?utf-8?B?', '?=', '#', '-', '"', '\\', '&#x110000;', 'a@b.example', '5.1.1', '550 '),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

describe('parseBounce never throws and stays within bounds', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
        assertShape(parseBounce(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        assertShape(parseBounce(Buffer.from(bytes)));
      }),
      { numRuns: 500 },
    );
  });

  it('on notice-shaped token soup', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 400 }), (pieces) => {
        assertShape(parseBounce(pieces.join('')));
      }),
      { numRuns: 1000 },
    );
  });

  it('on real bounces cut, spliced and garbled', () => {
    const texts = SAMPLES.map((sample) => fixtureText(sample.file));
    fc.assert(
      fc.property(fc.nat({ max: texts.length - 1 }), fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 40 }), (which, at, length, garbage) => {
        const text = texts[which] ?? '';
        const start = at % (text.length + 1);
        assertShape(parseBounce(text.slice(0, start) + garbage + text.slice(start + (length % 200))));
        assertShape(parseBounce(text.slice(0, start)));
      }),
      { numRuns: 1000 },
    );
  });

  it('in time on large hostile inputs: no quadratic corner', () => {
    const N = 300 * 1024;
    const head = 'From: MAILER-DAEMON@x.example\nSubject: failure notice\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n';
    const hostile = [
      'a'.repeat(N),
      'a@'.repeat(N / 2),
      head + 'x'.repeat(N) + '@example.com',
      head + 'x@' + 'a-'.repeat(N / 2),
      head + '\n'.repeat(N),
      head + '--- ' + ' '.repeat(N) + 'x',
      head + '<a@b.example>: ' + 'host a[host a['.repeat(N / 14),
      head + '(reason: '.repeat(N / 9),
      head + '#550 ' + ' '.repeat(N) + 'x',
      'Content-Type: multipart/mixed' + ';a="'.repeat(N / 4) + '\n\nx',
      'Content-Type: multipart/mixed; boundary=b\n\n' + '--b\nContent-Type: multipart/mixed; boundary=b\n\n'.repeat(N / 48),
      head + '--b\nContent-Type: message/delivery-status\n\n' + 'Final-Recipient: rfc822; a@b.example\nAction: failed\n'.repeat(N / 45),
      head + '--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n' + '= '.repeat(N / 2),
      'From: MAILER-DAEMON@x\n\nHi. This is the qmail-send program\n\n' + '<a@b.example>:\n'.repeat(N / 15),
      'From: MAILER-DAEMON@x\nSubject: Undeliverable: x\n\n' + 'The response was:\n'.repeat(N / 18),
      'Subject: ' + '=?utf-8?B?'.repeat(N / 10) + '\n\nx',
      'From: MAILER-DAEMON@x\nSubject: Undeliverable: x\n\n' + 'x\n'.repeat(N / 2),
    ];
    for (const text of hostile) {
      const started = performance.now();
      const result = parseBounce(text);
      expect(performance.now() - started, text.slice(0, 60)).toBeLessThan(2000);
      assertShape(result);
    }
  });
});
