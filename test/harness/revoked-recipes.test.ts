import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { readEventLog } from '../../src/recorder/event-log.js';
import { findExim, findPostfix } from '../../src/senders/mta/find-mta.js';
import { runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The revoked profile (weak-crypto suite, issue 18) against Debian's Postfix and Exim at their
 * TLS settings, judged by the strict policy, which refuses a revoked certificate. What each
 * MTA's documentation and source lead one to expect, and what it does:
 * - Postfix: no setting for revocation exists (postconf(5) and TLS_README name no CRL or OCSP
 *   parameter, and its TLS library, src/tls/, never asks OpenSSL for CRL checks nor sends a
 *   status_request: postfix-3.12-20260821). So every level delivers, verify and secure with
 *   "Verified TLS connection established": revocation is not part of Postfix's verification.
 * - Exim (spec ch. 30, smtp transport): `hosts_request_ocsp` defaults to `*` ("a Certificate
 *   Status is requested (but not necessarily verified)"), `hosts_require_ocsp` is unset and
 *   `tls_crl` (a local file, never fetched) is unset. Debian's Exim uses GnuTLS, whose
 *   verification reads the stapled response: exim:strict (tls_verify_hosts = *) refuses,
 *   "certificate verification failed): certificate revoked"; exim:default (tls_try_verify_hosts)
 *   records CV=no and delivers.
 * Neither fetches the CRL its leaf names.
 *
 * Never skipped: without root, Postfix or Exim this fails, saying what to install.
 * Its own addresses: 127.0.213.x, the harness DNS on .253, the CRL host on port 80.
 */

const PROFILES = selectProfiles(loadCatalogue(), ['tls1.2', 'revoked']);
const RECIPES = ['postfix:may', 'postfix:encrypt', 'postfix:verify', 'postfix:secure', 'exim:default', 'exim:strict'] as const;

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/revoked-recipes').base,
  profiles: PROFILES,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the revoked recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
    findPostfix();
    findExim();
  },
});

describe('the revoked profile against Postfix and Exim', () => {
  it('ran for real, every probe settled, nothing left unattributed', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    expect(recipes.strayThatGreeted()).toEqual([]);
    expect(recipes.run.profiles.find((p) => p.name === 'revoked')?.revocation).toEqual({
      crlUrl: 'http://crl.revoked.badmx.test/intermediate.crl',
      crlHost: 'crl.revoked.badmx.test',
      crlAddress: testNet('harness/revoked-recipes').host(49),
      served: true,
    });
  });

  it('every Postfix level and Exim\'s default deliver to the revoked certificate; only exim:strict refuses it (GnuTLS reads the stapled response)', () => {
    expect(Object.fromEntries(RECIPES.map((s) => [s, recipes.cell(s, 'revoked').verdict]))).toEqual({
      'postfix:may': 'fail',
      'postfix:encrypt': 'fail',
      'postfix:verify': 'fail',
      'postfix:secure': 'fail',
      'exim:default': 'fail',
      'exim:strict': 'pass',
    });
    for (const sender of RECIPES) expect(recipes.cell(sender, 'tls1.2').verdict, sender).toBe('pass');
    expect(recipes.senderLog('postfix:verify')).toMatch(/Verified TLS connection established to mx\.revoked\.badmx\.test\[127\.0\.213\.49\]:25/);
    expect(recipes.senderLog('postfix:secure')).toMatch(/Verified TLS connection established to mx\.revoked\.badmx\.test\[127\.0\.213\.49\]:25/);
    expect(recipes.senderLog('exim:default')).toMatch(/=> probe-\S+@revoked\.badmx\.test .* CV=no DN="CN=mx\.revoked\.badmx\.test/);
    expect(recipes.senderLog('exim:strict')).toMatch(
      /== probe-\S+@revoked\.badmx\.test R=dnslookup T=remote_smtp defer \(-37\) H=mx\.revoked\.badmx\.test \[127\.0\.213\.49\]:25: TLS session: \(certificate verification failed\): certificate revoked/,
    );
  });

  it('only Exim asks for the certificate status (one staple per Exim handshake, none for Postfix), and nobody fetches the CRL', () => {
    const events = readEventLog(join(recipes.outDir, 'events.jsonl')).events.filter((e) => e.profile === 'revoked');
    const handshakes = (sender: string) => recipes.cell(sender, 'revoked').evidence.filter((c) => c.tls !== null).length;
    const exim = handshakes('exim:default') + handshakes('exim:strict');
    expect(exim).toBeGreaterThanOrEqual(2);
    for (const sender of ['postfix:may', 'postfix:encrypt', 'postfix:verify', 'postfix:secure']) expect(handshakes(sender), sender).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'ocsp-staple')).toHaveLength(exim);
    expect(events.filter((e) => e.type === 'crl-listening')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'crl-fetch')).toEqual([]);
  });
});
