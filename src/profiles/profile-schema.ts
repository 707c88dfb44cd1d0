import { z } from 'zod';

/**
 * The declarative shape of a receiver profile (one JSON file under receivers/).
 * Everything that makes a profile misconfigured is data here; code only interprets it.
 */

export const TLS_VERSIONS = ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type ProfileTlsVersion = (typeof TLS_VERSIONS)[number];

/**
 * Every label of `<name>.<zone>` must be a valid DNS label (RFC 1035 §2.3.1, with RFC 1123's
 * leading digits), because the name becomes the recipient domain and part of the MX hostname.
 */
const PROFILE_NAME = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

const tlsSchema = z.strictObject({
  minVersion: z.enum(TLS_VERSIONS).default('TLSv1.2'),
  maxVersion: z.enum(TLS_VERSIONS).default('TLSv1.3'),
  /** OpenSSL cipher list for TLS 1.2 and below (may carry @SECLEVEL=N). */
  ciphers: z.string().min(1).optional(),
  /** OpenSSL TLS 1.3 cipher suites. */
  ciphersuites: z.string().min(1).optional(),
  /**
   * The finite-field group its DHE suites use, in bits: 1024 is RFC 2409's Oakley Group 2, the
   * 1024-bit prime the Logjam paper (Adrian et al., CCS 2015) found most servers shared. Unset:
   * OpenSSL's own choice (2048 bits or more, RFC 7919).
   */
  dhGroup: z.literal(1024).optional(),
  /**
   * `required`: the profile's certificate is presented only to a client that names the MX host
   * (or the recipient domain) by SNI (RFC 6066 §3); any other client gets a trusted certificate
   * for other names (`mx.elsewhere.invalid`), as a host serving several domains does.
   */
  sni: z.literal('required').optional(),
});

const certificateSchema = z.strictObject({
  /**
   * Who signs the leaf: the trusted intermediate, the leaf itself, an intermediate under a root
   * that is not in the bundle, or an intermediate of the trusted root whose own validity ended
   * (RFC 5280 §6.1.3: every certificate of the path must be within its validity).
   */
  issuer: z.enum(['intermediate', 'self', 'untrusted-root', 'expired-intermediate']).default('intermediate'),
  /**
   * `profile`: mx.<name>.<zone> and <name>.<zone> as subjectAltNames. `elsewhere`: names of
   * another domain, covering neither. `cn-only`: the MX host in the subject CN alone, no
   * subjectAltName (RFC 6125 §6.4.4 lets a client fall back to the CN; the CA/Browser Forum's
   * Baseline Requirements §7.1.4.2.1 require SANs, and many clients no longer look at the CN).
   */
  names: z.enum(['profile', 'elsewhere', 'cn-only']).default('profile'),
  validity: z.enum(['current', 'expired', 'not-yet-valid']).default('current'),
  /** Digest the issuer signs the leaf with. */
  signature: z.enum(['sha256', 'sha1']).default('sha256'),
  /** What the receiver sends: the leaf with its issuing intermediate, or the leaf alone. */
  chain: z.enum(['with-intermediate', 'leaf-only']).default('with-intermediate'),
  /** The leaf's RSA key size: 1024 bits is below every current floor (NIST SP 800-131A, SP 800-52r2, RFC 9325 §4.5). */
  keyBits: z.union([z.literal(2048), z.literal(1024)]).default(2048),
  /**
   * The leaf's extendedKeyUsage: `server-auth` (id-kp-serverAuth); `client-auth-only`
   * (id-kp-clientAuth alone), which RFC 5280 §4.2.1.12 says restricts it to that purpose: not a
   * certificate for a TLS server.
   */
  eku: z.enum(['server-auth', 'client-auth-only']).default('server-auth'),
  /**
   * `true`: the issuing intermediate has revoked the leaf (reason keyCompromise), and says so
   * the two ways RFC 5280 and RFC 6960 provide: a CRL the harness serves over HTTP at the
   * leaf's CRL distribution point (`http://crl.<domain>/intermediate.crl`, RFC 5280
   * §4.2.1.13, §5), and an OCSP response with certStatus revoked that the receiver staples
   * to every handshake whose client asks (status_request, RFC 6066 §8; RFC 6960 §4.2).
   * Otherwise the certificate is valid. Absent: not revoked.
   */
  revoked: z.literal(true).optional(),
});

/**
 * Suites group profiles by the question they ask. `study`: the fourteen receivers of the
 * Paubox study (does the sender verify at all?), the default. `mta-sts`: receivers that
 * declare their policy by MTA-STS (RFC 8461): does the sender honour it? `dane`: receivers
 * that declare it by TLSA records in the DNSSEC-signed harness zone (RFC 7672). `weak-crypto`:
 * receivers that are valid but for one weakness of key, group, key exchange or cipher (badssl.com's
 * classes for MX hosts): does the sender accept it?
 */
export const SUITES = ['study', 'mta-sts', 'dane', 'weak-crypto', 'tampering'] as const;
export type Suite = (typeof SUITES)[number];
export const DEFAULT_SUITES: readonly Suite[] = ['study'];

/**
 * What a profile publishes by MTA-STS (RFC 8461) and TLS-RPT (RFC 8460). The harness DNS
 * publishes `_mta-sts.<domain>` (§3.1), `mta-sts.<domain>` and `_smtp._tls.<domain>`
 * (RFC 8460 §3), and badmx serves the policy over HTTPS itself (receivers/policy-server.ts).
 */
const mtaStsSchema = z.strictObject({
  /** RFC 8461 §5: `enforce` (no delivery where the policy cannot be met), `testing` (deliver, report), `none`. */
  mode: z.enum(['enforce', 'testing', 'none']),
  /**
   * Whether the policy's `mx:` patterns (§3.2, §4.1) cover the profile's MX host:
   * `covered` lists it; `not-covered` lists only a name elsewhere.
   */
  mx: z.enum(['covered', 'not-covered']).default('covered'),
  /**
   * How the policy host answers (§3.3): `served` over HTTPS with a valid certificate;
   * `unreachable`: nothing listens (connection refused); `bad-certificate`: a self-signed
   * certificate, which §3.3 says a sender must not accept ("MUST present a valid certificate").
   */
  policy: z.enum(['served', 'unreachable', 'bad-certificate']).default('served'),
  /** `max_age` in seconds (§3.2; at most 31557600). */
  maxAge: z.number().int().min(0).max(31_557_600).default(86_400),
});

/**
 * What a man in the middle does to the STARTTLS transition (the EAST test cases of Poddebniak
 * et al., "Why TLS is better without STARTTLS", USENIX Security 2021, turned against senders):
 * all but `injection` leave the sender no TLS, and a sender that goes on in plaintext has been
 * downgraded; at `injection` a sender that acts on the forged lines is vulnerable.
 */
const tamperingSchema = z
  .strictObject({
    /**
     * STARTTLS, advertised, is answered with this code instead of 220 (221 and 421 then close the
     * connection); `220`: answered 220, but the receiver stays in plaintext (EAST others/starttls/220:
     * the sender's ClientHello meets an SMTP parser).
     */
    starttlsReply: z.union([z.literal(220), z.literal(221), z.literal(354), z.literal(421), z.literal(500), z.literal(501), z.literal(530)]).optional(),
    /** STARTTLS is answered 220, and the receiver goes on in plaintext: a plaintext reply where the ServerHello should be. */
    plaintextAfter220: z.literal(true).optional(),
    /** EHLO is answered 500, so only HELO remains, which carries no extensions (RFC 5321 §4.1.1.1): no STARTTLS either. */
    ehlo: z.literal('refused').optional(),
    /**
     * Response injection (EAST B_1; the client side of CVE-2011-0411): the 220 to STARTTLS comes
     * in one segment with forged `250` EHLO lines, the handshake is real, and the reply to the
     * sender's first greeting inside TLS is withheld for a while. The only profile of the suite
     * that lets the sender have TLS: what is tested is whether it reads the injected plaintext as
     * its TLS session's reply (it sends a command before any reply inside TLS).
     */
    injection: z.literal('ehlo-reply').optional(),
    /**
     * The greeting is not 220 (EAST `others/greeting`): `554` (RFC 5321 §3.1, "no SMTP service
     * here"). A sender that goes on anyway finds STARTTLS stripped, as the man in the middle who
     * forged the greeting would leave it.
     */
    greeting: z.literal(554).optional(),
    /**
     * STARTTLS is left out of the reply to the first EHLO and advertised from the second on (the
     * transition itself is real, whenever asked for): a sender that greets once, as senders do,
     * sees a stripped STARTTLS; one that sends EHLO again, or STARTTLS unadvertised, can have TLS.
     */
    starttlsAdvertised: z.literal('second-ehlo').optional(),
  })
  .refine(
    (t) => [t.starttlsReply, t.plaintextAfter220, t.ehlo, t.injection, t.greeting, t.starttlsAdvertised].filter((v) => v !== undefined).length === 1,
    'say exactly one of starttlsReply, plaintextAfter220, ehlo, injection, greeting and starttlsAdvertised',
  );

/**
 * What a profile publishes by DANE (RFC 7672): a TLSA RRset at `_25._tcp.<MX host>` (§2.2.3),
 * whose data badmx computes from the certificates the receiver actually serves
 * (certs/tlsa.ts), in the harness zone that the embedded DNS signs (dns/dnssec.ts).
 */
const daneSchema = z.strictObject({
  /**
   * What the one TLSA record names:
   * `ee`: `3 1 1`, DANE-EE, the SHA-256 of the served leaf's public key (RFC 7672 §3.1.1: names,
   * chain and dates are then not checked); `ta`: `2 1 1`, DANE-TA, the issuing intermediate's key
   * (§3.1.2: the chain up to it is checked, and the name, §3.2); `no-match`: `3 1 1` of a key
   * that no certificate the receiver offers has.
   */
  tlsa: z.enum(['ee', 'ta', 'no-match']),
  /**
   * How a validating resolver finds the TLSA RRset (RFC 4035 §4.3): `secure`; `bogus`: its
   * RRSIG does not verify (RFC 7672 §2.1.2: the client must not deliver to that host: it
   * defers); `insecure`: the MX host sits below a delegation without DS, an unsigned part of
   * the tree (§2.2: TLSA records there are not used, delivery is opportunistic).
   */
  dnssec: z.enum(['secure', 'bogus', 'insecure']).default('secure'),
});

/**
 * A later phase of a multi-phase profile: what changes after the phase before it has been
 * probed (and settled). The run probes each phase in turn with a probe of its own, and judges
 * the last; the earlier ones set the stage (sts-cached-downgrade: phase 1 lets a sender fetch
 * and cache a valid policy, phase 2 is the attack). Only what a phase can change at run time:
 * the STARTTLS behaviour and whether the MTA-STS policy host answers.
 */
const phaseSchema = z.strictObject({
  /** What changes, in a few words (shown in reports). */
  title: z.string().min(1),
  starttls: z.enum(['offer', 'absent', 'refuse-454', 'abort-handshake']).optional(),
  // A phase can take the policy host away or give it back; a certificate of its own it cannot get.
  mtaSts: z.strictObject({ policy: z.enum(['served', 'unreachable']) }).optional(),
});

export const profileSchema = z
  .strictObject({
    name: z.string().regex(PROFILE_NAME, 'must be lower-case DNS labels (a-z, 0-9, "-", "."), at most 63 characters'),
    /** Fixed position in the fleet: the profile listens on <address base>.<slot>, so adding a profile moves no other. */
    slot: z.number().int().min(1).max(254),
    title: z.string().min(1),
    /** The question this profile asks of a sender. */
    tests: z.string().min(1),
    /** What a sender that fails here exposes, in one line (shown with each failing cell and by `badmx explain`). */
    risk: z.string().min(1).optional(),
    /** The rules the misconfiguration touches, each "<citation>: <what it says>" (only rules that apply). */
    rules: z.array(z.string().min(1)).optional(),
    /**
     * What the receiver does about STARTTLS (RFC 3207):
     * `offer` advertises it and negotiates; `absent` neither advertises nor accepts it (502);
     * `refuse-454` advertises it and answers 454; `abort-handshake` advertises it, answers 220,
     * then ends the handshake with a fatal alert.
     */
    starttls: z.enum(['offer', 'absent', 'refuse-454', 'abort-handshake']),
    tls: tlsSchema.default({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }),
    certificate: certificateSchema.default({
      issuer: 'intermediate',
      names: 'profile',
      validity: 'current',
      signature: 'sha256',
      chain: 'with-intermediate',
      keyBits: 2048,
      eku: 'server-auth',
    }),
    /** The suite the profile belongs to; runs probe the `study` suite unless asked for others. */
    suite: z.enum(SUITES).default('study'),
    /** The policy the profile declares by MTA-STS, if any. */
    mtaSts: mtaStsSchema.optional(),
    /** What the profile declares by DANE TLSA records, if any. */
    dane: daneSchema.optional(),
    /** What a man in the middle does to its STARTTLS transition, if anything (the tampering suite). */
    tampering: tamperingSchema.optional(),
    /** Phases after the first (the profile as written): each probed in turn, the last one judged. */
    phases: z.array(phaseSchema).min(1).max(3).optional(),
    /** Standards and advisories the misconfiguration relates to. */
    references: z.array(z.string().min(1)).default([]),
  })
  .superRefine((profile, ctx) => {
    profile.phases?.forEach((phase, i) => {
      if (phase.mtaSts && !profile.mtaSts) ctx.addIssue({ code: 'custom', path: ['phases', i, 'mtaSts'], message: 'needs the profile to declare mtaSts' });
      // A phase may take TLS away; one that needs a certificate the first phase did not have would need one made for it.
      if (phase.starttls === 'offer' && profile.starttls !== 'offer') ctx.addIssue({ code: 'custom', path: ['phases', i, 'starttls'], message: 'can only offer STARTTLS when the first phase does' });
    });
    if (profile.suite === 'mta-sts' && !profile.mtaSts) {
      ctx.addIssue({ code: 'custom', path: ['mtaSts'], message: 'is required in the "mta-sts" suite: say what policy the profile publishes' });
    }
    if (profile.suite === 'dane' && !profile.dane) {
      ctx.addIssue({ code: 'custom', path: ['dane'], message: 'is required in the "dane" suite: say what TLSA record the profile publishes' });
    }
    if (profile.dane?.tlsa === 'ta' && (profile.certificate.issuer !== 'intermediate' || profile.certificate.chain !== 'with-intermediate')) {
      // RFC 7672 §3.1.2: a DANE-TA trust anchor must be in the chain the server presents.
      ctx.addIssue({ code: 'custom', path: ['dane', 'tlsa'], message: '"ta" names the issuing intermediate: the certificate must be issued by it and sent with it' });
    }
    if (profile.tampering && profile.starttls !== 'offer') {
      ctx.addIssue({ code: 'custom', path: ['tampering'], message: 'tampers with an advertised STARTTLS: set starttls to "offer"' });
    }
    if (profile.suite === 'tampering' && !profile.tampering) {
      ctx.addIssue({ code: 'custom', path: ['tampering'], message: 'is required in the "tampering" suite: say what the man in the middle does' });
    }
    if (profile.dane && profile.phases?.length) {
      ctx.addIssue({ code: 'custom', path: ['phases'], message: 'a profile that declares DANE has one phase (its TLSA records do not change during a run)' });
    }
    if (TLS_VERSIONS.indexOf(profile.tls.minVersion) > TLS_VERSIONS.indexOf(profile.tls.maxVersion)) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'minVersion'], message: `is above tls.maxVersion (${profile.tls.maxVersion})` });
    }
    // OpenSSL 3 refuses TLS 1.0 and 1.1 at security level 1 and above: without level 0 the profile would silently not offer them.
    if (['TLSv1.0', 'TLSv1.1'].includes(profile.tls.minVersion) && !/@SECLEVEL=0/.test(profile.tls.ciphers ?? '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'ciphers'],
        message: 'TLS 1.0/1.1 need "@SECLEVEL=0" at the end of the cipher list (OpenSSL 3 refuses them above level 0)',
      });
    }
    if (profile.certificate.revoked && (profile.certificate.issuer !== 'intermediate' || profile.starttls !== 'offer' || profile.tampering)) {
      // The CRL and the OCSP response are the trusted intermediate's, about a leaf the receiver presents.
      ctx.addIssue({ code: 'custom', path: ['certificate', 'revoked'], message: 'needs a leaf the trusted intermediate issued (issuer "intermediate") and a receiver that completes STARTTLS (starttls "offer", no tampering)' });
    }
    if (profile.certificate.issuer !== 'intermediate' && profile.certificate.chain === 'leaf-only') {
      ctx.addIssue({
        code: 'custom',
        path: ['certificate', 'chain'],
        message: '"leaf-only" only means something for a leaf issued by the intermediate',
      });
    }
  });

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;
export type CertificateSpec = Profile['certificate'];
export type StarttlsBehaviour = Profile['starttls'];
export type MtaStsSpec = NonNullable<Profile['mtaSts']>;
export type DaneSpec = NonNullable<Profile['dane']>;
export type TamperingSpec = NonNullable<Profile['tampering']>;
export type ProfilePhase = NonNullable<Profile['phases']>[number];
