import { createHash, sign, X509Certificate } from 'node:crypto';
import { bitString, certificateFields, derNull, enumerated, explicit, generalizedTime, integer, octetString, oid, sequence, tlv, time } from './der.js';

/**
 * What a revoked leaf's issuer says about it (profile field `certificate.revoked`): a CRL
 * (RFC 5280 §5) listing the leaf's serial, and an OCSP response (RFC 6960 §4.2.1) whose
 * certStatus is revoked, both signed by the issuing intermediate itself (RFC 6960 §4.2.2.2: the
 * CA that issued the certificate may sign its responses). Written by hand in DER (der.ts) and
 * signed with node:crypto, so both are made synchronously whenever they are due.
 *
 * Their windows follow the test PKI's handling of validity (pki.ts): the leaf is revoked as of
 * its notBefore (so every CRL and response, whenever signed, states a revocation already in
 * force); thisUpdate is backdated an hour, for senders whose clocks are a little behind, and
 * stays after that revocation time; nextUpdate is a week after it, within the CA/Browser
 * Forum Baseline Requirements' ten days (§4.9.7, §4.9.10), so a sender that checks the dates
 * finds them current. The signer makes both anew once half of that week is gone, so a fleet
 * that serves for weeks (public mode) never serves stale ones, as the PKI renews a
 * certificate before its end.
 */

const DAY_MS = 86_400_000;
/** thisUpdate is this far before the signing time: a little clock skew, and still after the revocation (the leaf's notBefore, a day before its issue). */
const BACKDATE_MS = 3_600_000;
/** nextUpdate − thisUpdate. */
const WINDOW_MS = 7 * DAY_MS;
/** Signed anew once this much of the window is gone. */
const REFRESH_AFTER_MS = WINDOW_MS / 2;

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), derNull());
const SHA1 = sequence(oid('1.3.14.3.2.26'), derNull());
/** RFC 5280 §5.3.1 CRLReason keyCompromise: the key is known to others, the one reason that makes delivery under it unsafe. */
export const REASON_KEY_COMPROMISE = 1;

export interface RevokedLeaf {
  /** The leaf, PEM. */
  leafPem: string;
  /** Its issuer's certificate and key, PEM: the intermediate that signs the CRL and the OCSP response. */
  issuerPem: string;
  issuerKeyPem: string;
  /** When it was revoked: its notBefore (revokedAtIssue). */
  revokedAt: Date;
}

export interface RevocationWindow {
  thisUpdate: Date;
  nextUpdate: Date;
}

/** The window of CRLs and OCSP responses signed at `now`. */
export function revocationWindow(now: Date): RevocationWindow {
  const thisUpdate = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  return { thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + WINDOW_MS) };
}

/**
 * The time a revoked leaf of the test PKI was revoked: its notBefore, a day before it was
 * issued, so that it was never valid and any CRL signed since states it.
 */
export function revokedAtIssue(leafPem: string): Date {
  return new Date(Date.parse(new X509Certificate(leafPem).validFrom));
}

function der(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

function serialHex(pem: string): string {
  return new X509Certificate(pem).serialNumber;
}

function signed(tbs: Buffer, keyPem: string): Buffer {
  // RSASSA-PKCS1-v1_5 with SHA-256, as every certificate of the PKI is signed.
  return sequence(tbs, SHA256_WITH_RSA, bitString(sign('sha256', tbs, keyPem)));
}

/** The issuer's subjectKeyIdentifier as its certificate carries it (RFC 5280 §4.2.1.2: SHA-1 of the key, method 1). */
function keyIdentifier(issuerPem: string): Buffer {
  return createHash('sha1').update(certificateFields(der(issuerPem)).subjectPublicKey).digest();
}

/**
 * The issuer's CRL, version 2 (RFC 5280 §5.1): the leaf's serial with its revocation date and
 * reason (§5.3.1), the authority key identifier and a CRL number (§5.2.1, §5.2.3: both required
 * of a conforming CA; the number is thisUpdate in seconds, so it only ever grows), DER.
 */
export function buildCrl(leaf: RevokedLeaf, window: RevocationWindow): Buffer {
  const issuer = certificateFields(der(leaf.issuerPem));
  const entry = sequence(
    integer(serialHex(leaf.leafPem)),
    time(leaf.revokedAt),
    sequence(sequence(oid('2.5.29.21'), octetString(enumerated(REASON_KEY_COMPROMISE)))),
  );
  const extensions = explicit(
    0,
    sequence(
      sequence(oid('2.5.29.35'), octetString(sequence(tlv(0x80, keyIdentifier(leaf.issuerPem))))),
      sequence(oid('2.5.29.20'), octetString(integer(Math.floor(window.thisUpdate.getTime() / 1000).toString(16)))),
    ),
  );
  const tbs = sequence(integer('01'), SHA256_WITH_RSA, issuer.subject, time(window.thisUpdate), time(window.nextUpdate), sequence(entry), extensions);
  return signed(tbs, leaf.issuerKeyPem);
}

/**
 * The OCSP response for the leaf (RFC 6960 §4.2.1): successful, one SingleResponse whose
 * CertID is the leaf's (SHA-1 of the issuer's name and key, as clients ask by default),
 * certStatus revoked with its time and reason, responder named by key hash, signed by the
 * issuer, whose certificate it carries for clients that look for the signer there. DER.
 */
export function buildOcspResponse(leaf: RevokedLeaf, window: RevocationWindow, producedAt: Date): Buffer {
  const issuer = certificateFields(der(leaf.issuerPem));
  const keyHash = keyIdentifier(leaf.issuerPem);
  const certId = sequence(SHA1, octetString(createHash('sha1').update(issuer.subject).digest()), octetString(keyHash), integer(serialHex(leaf.leafPem)));
  // CertStatus revoked: [1] IMPLICIT RevokedInfo ::= SEQUENCE { revocationTime, revocationReason [0] EXPLICIT CRLReason }.
  const revoked = explicit(1, generalizedTime(leaf.revokedAt), explicit(0, enumerated(REASON_KEY_COMPROMISE)));
  const single = sequence(certId, revoked, generalizedTime(window.thisUpdate), explicit(0, generalizedTime(window.nextUpdate)));
  // ResponderID byKey: [2] EXPLICIT KeyHash (SHA-1 of the responder's public key).
  const tbs = sequence(explicit(2, octetString(keyHash)), generalizedTime(new Date(Math.floor(producedAt.getTime() / 1000) * 1000)), sequence(single));
  const basic = sequence(tbs, SHA256_WITH_RSA, bitString(sign('sha256', tbs, leaf.issuerKeyPem)), explicit(0, sequence(der(leaf.issuerPem))));
  // OCSPResponse: responseStatus successful (0), responseBytes [0] EXPLICIT { id-pkix-ocsp-basic, OCTET STRING }.
  return sequence(enumerated(0), explicit(0, sequence(oid('1.3.6.1.5.5.7.48.1.1'), octetString(basic))));
}

/**
 * The CRL and OCSP response a running fleet serves for one revoked leaf, signed when first
 * asked for and again once half their window is gone.
 */
export class RevocationSigner {
  readonly leaf: RevokedLeaf;
  readonly #now: () => Date;
  #signedAt = -Infinity;
  #crl: Buffer = Buffer.alloc(0);
  #ocsp: Buffer = Buffer.alloc(0);

  constructor(leaf: RevokedLeaf, now: () => Date = () => new Date()) {
    this.leaf = leaf;
    this.#now = now;
  }

  /** The CRL, DER. */
  crl(): Buffer {
    this.#refresh();
    return this.#crl;
  }

  /** The OCSP response, DER. */
  ocspResponse(): Buffer {
    this.#refresh();
    return this.#ocsp;
  }

  #refresh(): void {
    const now = this.#now();
    if (now.getTime() - this.#signedAt < REFRESH_AFTER_MS && now.getTime() >= this.#signedAt) return;
    const window = revocationWindow(now);
    this.#crl = buildCrl(this.leaf, window);
    this.#ocsp = buildOcspResponse(this.leaf, window, now);
    this.#signedAt = now.getTime();
  }
}
