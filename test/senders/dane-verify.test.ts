import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type Pki } from '../../src/certs/pki.js';
import { splitPemCertificates, tlsaAssociation } from '../../src/certs/tlsa.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { daneMismatch, type TlsaRecord } from '../../src/senders/mta/dane-sender.js';

/**
 * builtin:dane's certificate check (RFC 7672 §3) on the test PKI's real chains, including the
 * DANE-TA failures no profile shows (a wrong name, dates out of range, a chain that does not
 * lead to the anchor): the profiles pin the cases a sender meets; these pin the rest.
 */

let dir = '';
let pki: Pki;
const chainOf = (profile: string): X509Certificate[] => splitPemCertificates(pki.credentials.get(profile)?.chainPem ?? '').map((pem) => new X509Certificate(pem));
const record = (usage: number, certificate: X509Certificate): TlsaRecord => ({ usage, selector: 1, matchingType: 1, certificate: tlsaAssociation(certificate, 1, 1) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'badmx-dane-verify-'));
  pki = await ensurePki({ dir, zone: 'badmx.test', profiles: selectProfiles(loadCatalogue(), undefined, ['dane']) });
});

afterAll(() => {
  pki?.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('daneMismatch', () => {
  it('DANE-EE: the leaf key alone, whatever its names, issuer and dates (§3.1.1)', () => {
    for (const profile of ['dane-ee-valid', 'dane-ee-self-signed', 'dane-ee-expired']) {
      const chain = chainOf(profile);
      expect(daneMismatch(chain, [record(3, chain[0] as X509Certificate)], ['nobody.example']), profile).toBeNull();
    }
  });

  it('DANE-TA: the chain to the named intermediate, the leaf within its dates and naming the MX host or the domain (§3.1.2, §3.2.3)', () => {
    const chain = chainOf('dane-ta-valid');
    const anchor = record(2, chain[1] as X509Certificate);
    expect(daneMismatch(chain, [anchor], ['mx.dane-ta-valid.badmx.test', 'dane-ta-valid.badmx.test'])).toBeNull();
    expect(daneMismatch(chain, [anchor], ['dane-ta-valid.badmx.test'])).toBeNull();
    expect(daneMismatch(chain, [anchor], ['mx.elsewhere.example'])).toBe('the certificate names neither mx.elsewhere.example (DANE-TA checks the name)');
    expect(daneMismatch(chain, [anchor], ['mx.dane-ta-valid.badmx.test'], new Date('2099-01-01'))).toMatch(/outside its validity dates/);
  });

  it('no match: a DANE-EE record of the intermediate, a DANE-TA record of the leaf, an anchor the server did not send', () => {
    const chain = chainOf('dane-ta-valid');
    const leaf = chain[0] as X509Certificate;
    const names = ['mx.dane-ta-valid.badmx.test'];
    expect(daneMismatch(chain, [record(3, chain[1] as X509Certificate)], names)).toBe('no TLSA record matches the certificate chain presented');
    expect(daneMismatch(chain, [record(2, leaf)], names)).toBe('no TLSA record matches the certificate chain presented');
    expect(daneMismatch([leaf], [record(2, chain[1] as X509Certificate)], names)).toBe('no TLSA record matches the certificate chain presented');
    // A self-signed leaf presented with an intermediate it was not issued by: the chain does not lead to the anchor.
    const selfSigned = chainOf('dane-ee-self-signed')[0] as X509Certificate;
    expect(daneMismatch([selfSigned, chain[1] as X509Certificate], [record(2, chain[1] as X509Certificate)], ['mx.dane-ee-self-signed.badmx.test'])).toBe(
      'the chain up to the DANE-TA trust anchor does not verify',
    );
    expect(daneMismatch([], [record(3, leaf)], names)).toBe('the server presented no certificate');
  });
});
