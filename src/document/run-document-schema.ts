import { z } from 'zod';
import { OUTCOMES } from '../classify/outcome.js';
import { SUITES, TLS_VERSIONS } from '../profiles/profile-schema.js';
import { POLICY_TYPES } from '../tlsrpt/tlsrpt-schema.js';
import type { RunDocument } from './run-document.js';
import { READABLE_SCHEMA_VERSIONS } from './run-document.js';

/**
 * run.json as read back for reports. Objects are loose: schemaVersion 1 allows pure
 * additions, so fields this badmx does not know are kept, never an error. Everything a
 * renderer reads is checked, so a hand-edited or truncated run.json is a one-line error
 * at load time rather than a crash halfway through a report.
 */
const tlsVersion = z.enum(['SSLv3', ...TLS_VERSIONS]);
const isoTime = z.string().min(1);

const connectionSummary = z.looseObject({
  conn: z.string(),
  peer: z.string(),
  start: isoTime,
  end: isoTime.nullable(),
  helo: z.string().nullable(),
  starttls: z.number().int().nullable(),
  tls: z.looseObject({ version: z.union([tlsVersion, z.literal('unknown')]), cipher: z.string(), sni: z.string().nullable() }).nullable(),
  tlsFailure: z
    .looseObject({ origin: z.enum(['client', 'server', 'profile', 'none']), alert: z.string().nullable(), reason: z.string() })
    .nullable(),
  mailFrom: z.string().nullable(),
  rcptTo: z.array(z.string()),
  data: z.looseObject({ accepted: z.boolean(), reply: z.number().int(), messageId: z.string().nullable() }).nullable(),
  commands: z.array(z.string()),
  // Added with ClientHello capture: absent where no ClientHello was recorded, and in older runs.
  clientHello: z.looseObject({ ja4: z.string().nullable(), ja3: z.string().nullable(), error: z.string().nullable() }).optional(),
  // Added with the tampering suite's starttls-injection: absent elsewhere and in older runs.
  injection: z.looseObject({ withheld: z.enum(['EHLO', 'HELO']).nullable(), lines: z.array(z.string()) }).optional(),
});

const tlsCode = z.looseObject({ code: z.number().int(), name: z.string().nullable(), grease: z.boolean() });

/** A parsed ClientHello (evidence/client-hello.ts), as run.json records it under senders[].tlsClient. */
const clientHelloSchema = z.looseObject({
  recordVersion: z.string(),
  legacyVersion: z.string(),
  versions: z.array(z.string()),
  versionsSource: z.enum(['supported_versions', 'legacy_version']),
  legacyVersionsOffered: z.array(z.enum(['SSLv3', 'TLSv1.0', 'TLSv1.1'])),
  supportedVersions: z.array(tlsCode).nullable(),
  sessionIdLength: z.number().int(),
  cipherSuites: z.array(tlsCode),
  compressionMethods: z.array(z.number().int()),
  extensions: z.array(tlsCode),
  supportedGroups: z.array(tlsCode),
  keyShares: z.array(z.looseObject({ group: tlsCode, length: z.number().int() })),
  ecPointFormats: z.array(z.number().int()),
  signatureAlgorithms: z.array(tlsCode),
  signatureAlgorithmsCert: z.array(tlsCode),
  sni: z.string().nullable(),
  alpn: z.array(z.string()),
  weaknesses: z.looseObject({
    rc4: z.boolean(),
    tripleDes: z.boolean(),
    des: z.boolean(),
    export: z.boolean(),
    null: z.boolean(),
    anon: z.boolean(),
    cbc: z.boolean(),
    staticRsa: z.boolean(),
  }),
  offersPostQuantum: z.boolean(),
  handshakeLength: z.number().int(),
  recordCount: z.number().int(),
  anomalies: z.array(z.string()),
});

const receivedHop = z.looseObject({
  raw: z.string(),
  from: z.looseObject({ helo: z.string().nullable(), rdns: z.string().nullable(), address: z.string().nullable() }),
  by: z.looseObject({ host: z.string().nullable(), software: z.string().nullable() }),
  with: z.string().nullable(),
  id: z.string().nullable(),
  for: z.string().nullable(),
  date: z.string().nullable(),
  tls: z.looseObject({
    tls: z.union([z.boolean(), z.literal('unknown')]),
    version: tlsVersion.nullable(),
    cipher: z.string().nullable(),
    bits: z.number().nullable(),
    verify: z.string().nullable(),
    // Added with issue 20's three-state reading: absent in older runs.
    basis: z.enum(['comment', 'clause', 'keyword', 'none']).optional(),
    statement: z.string().nullable().optional(),
  }),
});

const tlsSummarySchema = z.looseObject({ version: z.union([tlsVersion, z.literal('unknown')]), cipher: z.string() }).nullable();
const outcomeSchema = z.enum(OUTCOMES);

/** What an MTA-STS policy host saw of a sender (classify/policy-fetches.ts). */
const policyFetchSchema = z.looseObject({
  time: z.string(),
  kind: z.enum(['fetch', 'tls-failed', 'report']),
  peer: z.string(),
  sni: z.string().nullable(),
  status: z.number().int().nullable(),
  tlsVersion: z.string().nullable(),
  alert: z.string().nullable(),
  userAgent: z.string().nullable(),
  by: z.enum(['sender', 'unattributed']),
});

const cell = z.looseObject({
  sender: z.string(),
  profile: z.string(),
  probe: z.looseObject({ id: z.string(), recipient: z.string(), messageId: z.string() }),
  outcome: outcomeSchema,
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  reason: z.string(),
  // Added in schemaVersion 2: a version 1 cell was always judged.
  inconclusive: z
    .looseObject({
      cause: z.enum(['not-submitted', 'submission-failed', 'submission-refused', 'no-control', 'no-attempt', 'bounced-untested', 'earlier-phase', 'policy-unavailable']),
      detail: z.string(),
    })
    .nullable()
    .default(null),
  tls: tlsSummarySchema,
  alert: z.string().nullable(),
  connections: z.number().int().min(0),
  firstSeen: isoTime.nullable(),
  lastSeen: isoTime.nullable(),
  settled: z.boolean(),
  // Added after schemaVersion 2 was first written: older runs read back with what they can say.
  settle: z
    .looseObject({
      by: z.enum(['delivery', 'bounce', 'delay-notice', 'final-word', 'retry-model']).nullable(),
      waitedMs: z.number().int().min(0).nullable(),
      note: z.string(),
    })
    .default({ by: null, waitedMs: null, note: 'recorded by a badmx that did not say what settled a cell' }),
  submission: z
    .looseObject({ accepted: z.boolean(), final: z.boolean(), detail: z.string(), attempts: z.number().int().min(0).default(1) })
    .nullable(),
  bounces: z
    .array(
      z.looseObject({
        at: isoTime,
        action: z.enum(['failed', 'delayed', 'delivered', 'relayed', 'expanded']),
        status: z.string().nullable(),
        diagnostic: z.string().nullable(),
        remoteMta: z.string().nullable(),
        format: z.string(),
        message: z.string().nullable(),
      }),
    )
    .default([]),
  received: z.string().nullable(),
  message: z.string().nullable(),
  // Added after schemaVersion 1 was first written: older runs read back with null.
  // (In run.json's own order, so that loading and re-rendering a run changes nothing.)
  hops: z.array(receivedHop).nullable().default(null),
  evidenceMismatch: z.string().nullable().default(null),
  caveat: z.string().nullable().default(null),
  evidence: z.array(connectionSummary),
  misdirected: z.number().int().min(0).default(0),
  // Added with the MTA-STS suite: absent for profiles that declare no policy, and in older runs.
  policyFetches: z.array(policyFetchSchema).optional(),
  // Added with the DANE suite: absent for profiles that publish no TLSA records, and in older runs.
  tlsaQueries: z
    .array(z.looseObject({ time: isoTime, peer: z.string(), rcode: z.string(), by: z.enum(['sender', 'unattributed']) }))
    .optional(),
  // Added with the tampering suite's readings: present only on its judged cells.
  attack: z.looseObject({ verdict: z.enum(['vulnerable', 'downgraded', 'held']), case: z.string(), signal: z.string() }).optional(),
  // Added with multi-phase profiles: absent for the others.
  phases: z
    .array(
      z.looseObject({
        phase: z.number().int().min(1),
        title: z.string(),
        probe: z.looseObject({ id: z.string(), recipient: z.string(), messageId: z.string() }),
        outcome: outcomeSchema,
        tls: tlsSummarySchema,
        connections: z.number().int().min(0),
        policyFetches: z.array(policyFetchSchema).optional(),
      }),
    )
    .optional(),
});

const expectation = z.enum(['delivered-tls', 'delivered', 'not-delivered', 'no-plaintext']);

/** What a profile declares by MTA-STS (profiles/profile-schema.ts), as run.json records it. */
const mtaStsSpecSchema = z.looseObject({
  mode: z.enum(['enforce', 'testing', 'none']),
  mx: z.enum(['covered', 'not-covered']),
  policy: z.enum(['served', 'unreachable', 'bad-certificate']),
  maxAge: z.number().int(),
});

/** What a profile declares by DANE (profiles/profile-schema.ts), as run.json records it. */
const daneSpecSchema = z.looseObject({
  tlsa: z.enum(['ee', 'ta', 'no-match']),
  dnssec: z.enum(['secure', 'bogus', 'insecure']),
});

/** A TLSA record as published (RFC 6698 §2.1), the association data in hex. */
const tlsaRecordSchema = z.looseObject({
  name: z.string(),
  usage: z.number().int(),
  selector: z.number().int(),
  matchingType: z.number().int(),
  data: z.string(),
});

const profile = z.looseObject({
  name: z.string().min(1),
  title: z.string(),
  tests: z.string(),
  hostname: z.string(),
  domain: z.string(),
  address: z.string(),
  port: z.number().int(),
  slot: z.number().int(),
  starttls: z.enum(['offer', 'absent', 'refuse-454', 'abort-handshake']),
  tls: z.looseObject({
    minVersion: z.enum(TLS_VERSIONS),
    maxVersion: z.enum(TLS_VERSIONS),
    ciphers: z.string().optional(),
    ciphersuites: z.string().optional(),
    // Added with the weak-crypto suite.
    dhGroup: z.literal(1024).optional(),
    sni: z.literal('required').optional(),
  }),
  certificate: z.looseObject({
    issuer: z.enum(['intermediate', 'self', 'untrusted-root', 'expired-intermediate']),
    names: z.enum(['profile', 'elsewhere', 'cn-only']),
    validity: z.enum(['current', 'expired', 'not-yet-valid']),
    signature: z.enum(['sha256', 'sha1']),
    chain: z.enum(['with-intermediate', 'leaf-only']),
    // Added with the weak-crypto suite: absent in older runs (2048-bit, serverAuth).
    keyBits: z.union([z.literal(2048), z.literal(1024)]).optional(),
    eku: z.enum(['server-auth', 'client-auth-only']).optional(),
    // Added with the revoked profile: absent for every other.
    revoked: z.literal(true).optional(),
  }),
  expected: z.looseObject({ expect: expectation, minVersion: z.string().nullable(), because: z.string() }),
  // Added with issue 19: the profile's risk and the rules it touches, as the catalogue says; absent in older runs.
  risk: z.string().optional(),
  rules: z.array(z.string()).optional(),
  // Added with the MTA-STS suite: absent in older runs (the study's suite, declaring nothing), and read back as absent.
  suite: z.enum(SUITES).optional(),
  mtaSts: mtaStsSpecSchema.nullable().optional(),
  sts: z
    .looseObject({
      id: z.string(),
      policyHost: z.string(),
      policyAddress: z.string(),
      reportsByHttps: z.boolean(),
      text: z.string(),
      spec: mtaStsSpecSchema,
    })
    .nullable()
    .optional(),
  // Added with the DANE suite: absent in older runs.
  dane: daneSpecSchema.nullable().optional(),
  // Added with the tampering suite: absent in older runs.
  tampering: z
    .looseObject({
      starttlsReply: z.union([z.literal(220), z.literal(221), z.literal(354), z.literal(421), z.literal(500), z.literal(501), z.literal(530)]).optional(),
      plaintextAfter220: z.literal(true).optional(),
      ehlo: z.literal('refused').optional(),
      injection: z.literal('ehlo-reply').optional(),
      greeting: z.literal(554).optional(),
      starttlsAdvertised: z.literal('second-ehlo').optional(),
    })
    .nullable()
    .optional(),
  tlsa: z
    .looseObject({
      records: z.array(tlsaRecordSchema),
      dnssec: z.enum(['secure', 'bogus', 'insecure']),
      presented: z.looseObject({ subject: z.string(), issuer: z.string(), spkiSha256: z.string(), validTo: z.string() }).nullable(),
    })
    .nullable()
    .optional(),
  // Added with the revoked profile: only a profile whose leaf is revoked has it.
  revocation: z.looseObject({ crlUrl: z.string(), crlHost: z.string(), crlAddress: z.string(), served: z.boolean().optional() }).optional(),
  // Added after schemaVersion 1 was first written: older runs read back with null.
  served: z
    .looseObject({ source: z.enum(['user', 'generated', 'none']), coversMx: z.boolean().nullable(), coversDomain: z.boolean().nullable() })
    .nullable()
    .default(null),
});

export const runDocumentSchema = z
  .looseObject({
    schemaVersion: z.union(READABLE_SCHEMA_VERSIONS.map((v) => z.literal(v))),
    tool: z.looseObject({ name: z.literal('badmx'), version: z.string() }),
    run: z.looseObject({
      id: z.string().min(1),
      status: z.enum(['complete', 'error', 'running', 'interrupted']),
      error: z.string().nullable(),
      startedAt: isoTime,
      finishedAt: isoTime,
      zone: z.string(),
      waitMs: z.number(),
      caFile: z.string(),
      events: z.string(),
      // Added in schemaVersion 2.
      limitsHit: z.array(z.string()).default([]),
    }),
    policy: z.looseObject({
      name: z.string().min(1),
      title: z.string(),
      rules: z.array(
        z.looseObject({
          when: z
            .looseObject({
              tlsOffered: z.boolean().optional(),
              maxVersionAtLeast: z.enum(TLS_VERSIONS).optional(),
              certificateValid: z.boolean().optional(),
              profiles: z.array(z.string()).optional(),
            })
            .optional(),
          expect: expectation,
          minVersion: z.enum(TLS_VERSIONS).optional(),
          because: z.string(),
        }),
      ),
    }),
    profiles: z.array(profile),
    senders: z.array(
      z.looseObject({
        label: z.string().min(1),
        spec: z.string(),
        kind: z.enum(['smtp', 'command', 'builtin', 'mta']),
        notes: z.array(z.string()),
        software: z.looseObject({ name: z.string(), version: z.string() }).nullable().default(null),
        window: z.looseObject({ start: isoTime, end: isoTime }).nullable(),
        // Added after schemaVersion 1 was first written: every earlier run was local mode, where every sender does.
        trustsHarnessRoot: z.boolean().default(true),
        diagnosis: z.string().nullable().default(null),
        retries: z
          .looseObject({ delaysMs: z.array(z.number().int().min(0)), attemptMs: z.number().int().min(0) })
          .nullable()
          .default(null),
        // Added with ClientHello capture: absent where no ClientHello of the sender was recorded, and in older runs.
        tlsClient: z
          .looseObject({
            hellos: z.array(
              z.looseObject({
                ja4: z.string(),
                ja4Raw: z.string(),
                ja3: z.string(),
                ja3Full: z.string(),
                connections: z.number().int().min(1),
                profiles: z.array(z.string()),
                hello: clientHelloSchema,
                hex: z.string().regex(/^[0-9a-f]*$/),
              }),
            ),
            findings: z.array(z.string()),
          })
          .optional(),
      }),
    ),
    cells: z.array(cell),
    summary: z.looseObject({
      cells: z.number().int(),
      pass: z.number().int(),
      fail: z.number().int(),
      inconclusive: z.number().int().default(0),
      unsettled: z.number().int(),
    }),
    stray: z.looseObject({ connections: z.number().int() }),
    // Added after schemaVersion 1 was first written: older runs read back as parallel runs.
    schedule: z
      .looseObject({
        mode: z.enum(['parallel', 'sequential']),
        address: z.string().nullable(),
        steps: z.array(
          z.looseObject({
            sender: z.string(),
            profiles: z.array(z.string()),
            start: isoTime,
            end: isoTime,
            settled: z.boolean(),
            // Added in schemaVersion 2.
            dnsQueries: z.number().int().min(0).nullable().default(null),
            // Added with multi-phase profiles: only on a later phase's steps.
            phase: z.number().int().min(2).optional(),
          }),
        ),
        resumes: z.array(isoTime),
      })
      .default({ mode: 'parallel', address: null, steps: [], resumes: [] }),
    // Added with the MTA-STS suite: absent in older runs (none were collected).
    tlsReports: z
      .array(
        z.looseObject({
          received: isoTime,
          via: z.enum(['mail', 'https']),
          file: z.string(),
          from: z.string().nullable(),
          sender: z.string().nullable(),
          submitter: z.string().nullable(),
          policies: z.array(
            z.looseObject({
              organization: z.string(),
              reportId: z.string(),
              start: z.string(),
              end: z.string(),
              policyDomain: z.string(),
              policyType: z.enum(POLICY_TYPES),
              successful: z.number().int().min(0),
              failed: z.number().int().min(0),
              failures: z.array(
                z.looseObject({
                  resultType: z.string(),
                  known: z.boolean(),
                  count: z.number().int().min(0),
                  receivingMxHostname: z.string().optional(),
                }),
              ),
              profile: z.string().nullable(),
            }),
          ),
          error: z.string().nullable(),
        }),
      )
      .optional(),
  })
  .superRefine((doc, ctx) => {
    // Reports index cells by (sender, profile): each must name a known sender and profile, once.
    const senders = new Set(doc.senders.map((s) => s.label));
    const profiles = new Set(doc.profiles.map((p) => p.name));
    const seen = new Set<string>();
    doc.cells.forEach((c, i) => {
      if (!senders.has(c.sender)) ctx.addIssue({ code: 'custom', path: ['cells', i, 'sender'], message: `"${c.sender}" is not in senders[]` });
      if (!profiles.has(c.profile)) ctx.addIssue({ code: 'custom', path: ['cells', i, 'profile'], message: `"${c.profile}" is not in profiles[]` });
      const key = JSON.stringify([c.sender, c.profile]);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['cells', i], message: `a second cell for ${c.sender} × ${c.profile}` });
      seen.add(key);
    });
  });

// The schema must promise at least what the type does: a renderer never meets a field the type says is there but the loader let through missing.
type Assignable<T extends RunDocument> = T;
export type LoadedRunDocument = Assignable<z.output<typeof runDocumentSchema>>;
