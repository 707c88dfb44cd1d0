import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { leasesForOtherZones, takeLease } from './pki-lease.js';
import { BadmxError } from '../errors.js';
import type { Naming } from '../profiles/naming.js';
import type { Profile } from '../profiles/profile-schema.js';
import { planCertificates, type CertId, type CertSpec } from './cert-plan.js';
import { generateKey, issueCertificate, type Issuer } from './issue-certificate.js';
import { writeAtomic } from '../files/write-atomic.js';
import { withDirLock } from './dir-lock.js';
import { revokedAtIssue, type RevokedLeaf } from './revocation.js';

/**
 * The test PKI on disk, generated on first use and reused while it still serves its
 * purpose. Layout of the certs directory:
 *
 *   ca-bundle.pem           the root CA only: what a sender under test must trust
 *   <id>.crt.pem, .key.pem  every certificate and its key (keys mode 0600)
 *   chains/<profile>.pem    what the profile's receiver sends: leaf, then its chain
 *   pki.json                what was generated from which spec, to decide on reuse
 */

/** Bump when the way certificates are made changes, to regenerate every cached PKI. */
const FORMAT = 2;
/** A certificate with less than this left of its purpose (valid, or not yet valid) is made anew. */
const RENEW_MARGIN_MS = 30 * 86_400_000;

export interface ServedCredentials {
  profile: string;
  keyPem: string;
  /** Leaf followed by the CA certificates the receiver sends. */
  chainPem: string;
  chainFile: string;
  keyFile: string;
  /** How many certificates the receiver sends. */
  chainLength: number;
}

export interface Pki {
  dir: string;
  zone: string;
  /** The CA bundle a sender must trust: the root only. */
  caFile: string;
  credentials: Map<string, ServedCredentials>;
  /**
   * Per profile whose leaf is revoked (`certificate.revoked`): the leaf, and its issuer's
   * certificate and key, from which the fleet signs the CRL and the OCSP response (revocation.ts).
   */
  revoked: Map<string, RevokedLeaf>;
  /** Certificates this call generated (empty when everything was reused). */
  generated: CertId[];
  /** With `hold`: give the directory back when the fleet stops (pki-lease.ts). */
  release(): void;
}

interface StateEntry {
  specHash: string;
  fingerprint: string;
  notBefore: string;
  notAfter: string;
}

interface State {
  format: number;
  zone: string;
  certs: Record<string, StateEntry>;
}

export interface EnsurePkiOptions {
  dir: string;
  zone: string;
  profiles: Profile[];
  /** How profiles are named (their leaves carry these names); nested by default. */
  naming?: Naming;
  now?: Date;
  /** A running fleet will serve these: lease the directory for this zone until release() (pki-lease.ts). */
  hold?: boolean;
}

export async function ensurePki(options: EnsurePkiOptions): Promise<Pki> {
  const dir = resolve(options.dir);
  return withDirLock(dir, () => ensureLocked({ ...options, dir }));
}

async function ensureLocked({ dir, zone, profiles, naming, now = new Date(), hold = false }: EnsurePkiOptions): Promise<Pki> {
  const plan = planCertificates(profiles, zone, naming);
  const state = readState(dir);
  if (state && state.zone !== zone) refuseIfLeased(dir, zone, leasesForOtherZones(dir, zone));
  const previous = state?.format === FORMAT && state.zone === zone ? state.certs : {};
  const nextState: State = { format: FORMAT, zone, certs: { ...previous } };

  // Decide what to make anew: a cert whose spec, issuer, files or validity no longer fit, and everything it signed.
  const stale = new Set<CertId>();
  for (const spec of plan.certs) {
    const issuerStale = spec.issuer !== 'self' && stale.has(spec.issuer);
    if (issuerStale || !reusable(dir, spec, previous[spec.id], previous, now)) stale.add(spec.id);
  }

  // A new root (a new zone, a damaged or missing pki.json) is never made under a running fleet: its CA bundle would change.
  if (stale.has('root')) refuseIfLeased(dir, zone, leasesForOtherZones(dir, null));

  // Key generation dominates a cold start: every key is started at once, and each certificate is
  // signed as soon as its own key and its issuer are ready.
  mkdirSync(join(dir, 'chains'), { recursive: true });
  const keys = new Map([...stale].map((id) => [id, generateKey(findSpec(plan.certs, id).keyBits)] as const));
  const done = new Map<CertId, Promise<void>>();
  const issue = (spec: CertSpec): Promise<void> => {
    let promise = done.get(spec.id);
    if (!promise) {
      promise = (async () => {
        const issuerSpec = spec.issuer === 'self' ? null : findSpec(plan.certs, spec.issuer);
        if (issuerSpec && stale.has(issuerSpec.id)) await issue(issuerSpec);
        const key = await keys.get(spec.id);
        if (!key) return;
        const issuer = issuerSpec ? loadIssuer(dir, issuerSpec) : null;
        const issued = await issueCertificate(spec, key, issuer, now);
        writeAtomic(keyFile(dir, spec.id), issued.keyPem, 0o600);
        writeAtomic(certFile(dir, spec.id), issued.certPem, 0o644);
        nextState.certs[spec.id] = {
          specHash: specHash(spec, issuerSpec ? (nextState.certs[issuerSpec.id]?.fingerprint ?? null) : null),
          fingerprint: issued.fingerprint,
          notBefore: issued.notBefore.toISOString(),
          notAfter: issued.notAfter.toISOString(),
        };
      })();
      done.set(spec.id, promise);
    }
    return promise;
  };
  await Promise.all(plan.certs.filter((spec) => stale.has(spec.id)).map(issue));

  const caFile = join(dir, 'ca-bundle.pem');
  const rootPem = readFileSync(certFile(dir, 'root'), 'utf8');
  if (stale.has('root') || !existsSync(caFile) || readFileSync(caFile, 'utf8') !== rootPem) writeAtomic(caFile, rootPem, 0o644);

  const credentials = new Map<string, ServedCredentials>();
  for (const leaf of plan.leaves) {
    const chainPem = [leaf.leaf, ...leaf.chain].map((id) => readFileSync(certFile(dir, id), 'utf8')).join('');
    const chainFile = join(dir, 'chains', `${leaf.profile}.pem`);
    if (!existsSync(chainFile) || readFileSync(chainFile, 'utf8') !== chainPem) writeAtomic(chainFile, chainPem, 0o644);
    credentials.set(leaf.profile, {
      profile: leaf.profile,
      keyPem: readFileSync(keyFile(dir, leaf.leaf), 'utf8'),
      chainPem,
      chainFile,
      keyFile: keyFile(dir, leaf.leaf),
      chainLength: 1 + leaf.chain.length,
    });
  }
  const revoked = new Map<string, RevokedLeaf>();
  for (const leaf of plan.leaves) {
    const spec = findSpec(plan.certs, leaf.leaf);
    if (!spec.revoked || spec.issuer === 'self') continue;
    const leafPem = readFileSync(certFile(dir, leaf.leaf), 'utf8');
    const issuer = loadIssuer(dir, findSpec(plan.certs, spec.issuer));
    revoked.set(leaf.profile, { leafPem, issuerPem: issuer.certPem, issuerKeyPem: issuer.keyPem, revokedAt: revokedAtIssue(leafPem) });
  }
  if (stale.size > 0) writeAtomic(join(dir, 'pki.json'), `${JSON.stringify(nextState, null, 2)}\n`, 0o644);
  // Taken under the directory lock, so no other badmx can change the zone between the check and the lease.
  const lease = hold ? takeLease(dir, zone) : null;
  return { dir, zone, caFile, credentials, revoked, generated: [...stale], release: () => lease?.release() };
}

function refuseIfLeased(dir: string, zone: string, busy: { zone: string; pid: number }[]): void {
  const holder = busy[0];
  if (!holder) return;
  throw new BadmxError(
    `the certs directory ${dir} holds the test PKI for zone ${holder.zone}, in use by a running badmx (pid ${holder.pid}), and zone ${zone} would need a new root there: give it its own directory (--certs <dir>)`,
    'EPKI',
  );
}

function reusable(
  dir: string,
  spec: CertSpec,
  entry: StateEntry | undefined,
  all: Record<string, StateEntry>,
  now: Date,
): boolean {
  if (!entry) return false;
  const issuerFingerprint = spec.issuer === 'self' ? null : (all[spec.issuer]?.fingerprint ?? null);
  if (entry.specHash !== specHash(spec, issuerFingerprint)) return false;
  // The files must still be the ones recorded, and the key must belong to the certificate.
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile(dir, spec.id)));
    const key = createPrivateKey(readFileSync(keyFile(dir, spec.id)));
    if (!cert.checkPrivateKey(key)) return false;
  } catch {
    return false;
  }
  if (cert.fingerprint256.replaceAll(':', '').toLowerCase() !== entry.fingerprint) return false;
  const t = now.getTime();
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  switch (spec.expect) {
    case 'valid':
      return notBefore <= t && notAfter - t >= RENEW_MARGIN_MS;
    case 'expired':
      return notAfter < t;
    case 'not-yet-valid':
      return notBefore - t >= RENEW_MARGIN_MS;
  }
}

function findSpec(specs: CertSpec[], id: CertId): CertSpec {
  const spec = specs.find((s) => s.id === id);
  if (!spec) throw new BadmxError(`internal: no certificate spec "${id}"`, 'EPKI');
  return spec;
}

function loadIssuer(dir: string, spec: CertSpec): Issuer {
  return { spec, certPem: readFileSync(certFile(dir, spec.id), 'utf8'), keyPem: readFileSync(keyFile(dir, spec.id), 'utf8') };
}

function specHash(spec: CertSpec, issuerFingerprint: string | null): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, spec, issuerFingerprint }))
    .digest('hex');
}

function readState(dir: string): State | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8')) as State;
  } catch {
    return null;
  }
}

function certFile(dir: string, id: CertId): string {
  return join(dir, `${id}.crt.pem`);
}

function keyFile(dir: string, id: CertId): string {
  return join(dir, `${id}.key.pem`);
}
