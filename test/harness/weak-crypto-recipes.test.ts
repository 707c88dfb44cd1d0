import { describe, expect, it } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { findExim, findPostfix } from '../../src/senders/mta/find-mta.js';
import { runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The weak-crypto suite (issue 18) against Debian's Postfix and Exim at their TLS settings,
 * judged by the strict policy, which refuses a 1024-bit key, a 1024-bit DH group, a name only in
 * the CN and a certificate not for servers. What each MTA's documentation leads one to expect,
 * and what it does:
 * - Postfix (postconf(5)): smtp_tls_security_level decides whether the certificate is checked
 *   at all; the checks are OpenSSL's at Postfix's own security level (tls_*_cipherlist "medium"
 *   etc., no key-size floor stated), so a 1024-bit key and DH group pass; verify and secure
 *   refuse a certificate whose EKU is not serverAuth ("not designated for use as a server
 *   certificate"), and match a CN when there is no subjectAltName (OpenSSL's fallback;
 *   "secure" matches mx.no-san.<zone> by dot-nexthop).
 * - Exim (spec ch. 42): GnuTLS's verification at "NORMAL" priority. Observed, and pinned here:
 *   exim:strict accepts the clientAuth-only certificate (CV=yes), which Postfix refuses.
 *
 * Never skipped: without root, Postfix or Exim this fails, saying what to install.
 * Its own addresses: 127.0.209.x, the harness DNS on .253.
 */

const WEAK = selectProfiles(loadCatalogue(), ['tls1.2', 'rsa-1024', 'dh-1024', 'static-rsa', 'cbc-only', 'no-san', 'wrong-eku', 'sni-required', 'expired-intermediate']);
const RECIPES = ['postfix:may', 'postfix:encrypt', 'postfix:verify', 'postfix:secure', 'exim:default', 'exim:strict'] as const;

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/weak-crypto-recipes').base,
  profiles: WEAK,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the weak-crypto recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
    findPostfix();
    findExim();
  },
});

const verdicts = (sender: string): Record<string, string> => Object.fromEntries(WEAK.map((p) => [p.name, recipes.cell(sender, p.name).verdict]));

describe('the weak-crypto suite against Postfix and Exim', () => {
  it('ran for real, every probe settled, nothing left unattributed', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    expect(recipes.strayThatGreeted()).toEqual([]);
  });

  it('every setting of both MTAs delivers over a 1024-bit RSA key and a 1024-bit DH group, and to a name in the CN alone: strict fails them', () => {
    for (const sender of RECIPES) {
      expect(verdicts(sender), sender).toMatchObject({ 'tls1.2': 'pass', 'rsa-1024': 'fail', 'dh-1024': 'fail', 'static-rsa': 'pass', 'cbc-only': 'pass', 'no-san': 'fail' });
      expect(recipes.cell(sender, 'dh-1024').tls?.cipher, sender).toBe('DHE-RSA-AES128-GCM-SHA256');
      expect(recipes.cell(sender, 'static-rsa').tls?.cipher, sender).toBe('AES128-GCM-SHA256');
    }
    expect(recipes.senderLog('postfix:verify')).toMatch(/Verified TLS connection established to mx\.rsa-1024\.badmx\.test\S* .*server-signature RSA-PSS \(1024 bits\)/);
    expect(recipes.senderLog('postfix:secure')).toMatch(/Verified TLS connection established to mx\.no-san\.badmx\.test/);
    expect(recipes.senderLog('exim:strict')).toMatch(/=> probe-\S+@dh-1024\.badmx\.test .* X=TLS1\.2:DHE_CUSTOM1024__/);
  });

  it("wrong-eku: Postfix's verifying levels refuse it, Exim's strict setting (GnuTLS) does not", () => {
    expect(Object.fromEntries(RECIPES.map((s) => [s, recipes.cell(s, 'wrong-eku').verdict]))).toEqual({
      'postfix:may': 'fail',
      'postfix:encrypt': 'fail',
      'postfix:verify': 'pass',
      'postfix:secure': 'pass',
      'exim:default': 'fail',
      'exim:strict': 'fail',
    });
    expect(recipes.senderLog('postfix:verify')).toContain('certificate verification failed for mx.wrong-eku.badmx.test[127.0.209.38]:25: not designated for use as a server certificate');
    expect(recipes.senderLog('exim:strict')).toMatch(/=> probe-\S+@wrong-eku\.badmx\.test .* CV=yes /);
  });

  it('expired-intermediate: the verifying settings of both refuse it, the others deliver', () => {
    expect(Object.fromEntries(RECIPES.map((s) => [s, recipes.cell(s, 'expired-intermediate').verdict]))).toEqual({
      'postfix:may': 'fail',
      'postfix:encrypt': 'fail',
      'postfix:verify': 'pass',
      'postfix:secure': 'pass',
      'exim:default': 'fail',
      'exim:strict': 'pass',
    });
    expect(recipes.senderLog('postfix:verify')).toContain('CA certificate verification failed for mx.expired-intermediate.badmx.test[127.0.209.40]:25: certificate has expired');
    expect(recipes.senderLog('exim:strict')).toMatch(/expired-intermediate\.badmx\.test .* TLS session: \(certificate verification failed\): certificate invalid/);
  });

  it('sni-required: no setting of either MTA sends SNI (smtp_tls_servername and tls_sni are unset by default): the verifying ones refuse a receiver they could have authenticated, the others deliver to the wrong-name certificate it shows them instead (judged as at a wrong-name receiver)', () => {
    for (const sender of RECIPES) {
      const connections = recipes.cell(sender, 'sni-required').evidence;
      expect(connections.length, sender).toBeGreaterThan(0);
      // The receiver recorded every handshake's SNI: none.
      expect(connections.map((c) => c.tls?.sni ?? null), sender).toEqual(connections.map(() => null));
    }
    expect(Object.fromEntries(RECIPES.map((s) => [s, recipes.cell(s, 'sni-required').verdict]))).toEqual({
      'postfix:may': 'fail',
      'postfix:encrypt': 'fail',
      'postfix:verify': 'fail',
      'postfix:secure': 'fail',
      'exim:default': 'fail',
      'exim:strict': 'fail',
    });
    expect(recipes.cell('postfix:may', 'sni-required').reason).toMatch(/^delivered over TLSv1\.3, but must not deliver/);
    expect(recipes.senderLog('postfix:verify')).toContain('server certificate verification failed for mx.sni-required.badmx.test[127.0.209.39]:25: num=62:hostname mismatch');
    expect(recipes.senderLog('exim:default')).toMatch(/=> probe-\S+@sni-required\.badmx\.test .* CV=no DN="CN=mx\.elsewhere\.invalid/);
  });
});
