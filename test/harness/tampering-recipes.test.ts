import { describe, expect, it } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { findExim, findPostfix } from '../../src/senders/mta/find-mta.js';
import { runRecipesOnce } from '../helpers/mta-run.js';

/**
 * The tampering suite (issue 18) against Debian's Postfix and Exim, judged by the strict policy
 * (no TLS to be had: hold the mail). What the documentation leads one to expect, and what they do:
 * - At `may` (postconf(5)) and Exim's defaults (hosts_try_tls, tls_tempfail_tryclear), TLS is
 *   opportunistic: when STARTTLS does not work out they go on, or come back, in plaintext. They
 *   do, after every reply code but 421 (a temporary failure: they defer and retry, and meet it
 *   again), and after the 220 followed by plaintext; with EHLO refused they fall back to HELO and
 *   deliver in plaintext without ever trying STARTTLS.
 * - Mandatory TLS (postfix:encrypt, postfix:verify, exim:strict) holds the mail every time.
 *
 * Never skipped: without root, Postfix or Exim this fails, saying what to install.
 * Its own addresses: 127.0.211.x, the harness DNS on .253.
 */

const TAMPERED = [...selectProfiles(loadCatalogue(), ['tls1.2']), ...selectProfiles(loadCatalogue(), undefined, ['tampering'])];
const RECIPES = ['postfix:may', 'postfix:encrypt', 'postfix:verify', 'exim:default', 'exim:strict'] as const;
const DOWNGRADED = ['starttls-221', 'starttls-354', 'starttls-500', 'starttls-501', 'starttls-530', 'starttls-220-plaintext'];

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: '127.0.211.0',
  profiles: TAMPERED,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the tampering recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
    findPostfix();
    findExim();
  },
});

describe('the tampering suite against Postfix and Exim', () => {
  it('ran for real, every probe settled, nothing left unattributed', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    expect(recipes.strayThatGreeted()).toEqual([]);
  });

  it('opportunistic settings are downgraded by every tampered reply but 421, and by a refused EHLO', () => {
    for (const sender of ['postfix:may', 'exim:default']) {
      for (const profile of DOWNGRADED) {
        expect(recipes.cell(sender, profile).outcome, `${sender} x ${profile}`).toBe('plaintext-after-tls-failure');
        expect(recipes.cell(sender, profile).verdict, `${sender} x ${profile}`).toBe('fail');
      }
      // 421: the session is closed; they defer and meet it again (held).
      expect(recipes.cell(sender, 'starttls-421').outcome, sender).toBe('refused-before-tls');
      // EHLO refused: HELO, no extensions, plaintext, STARTTLS never asked for.
      expect(recipes.cell(sender, 'ehlo-refused').outcome, sender).toBe('delivered-plaintext');
    }
  });

  it('mandatory TLS holds the mail at every tampered profile', () => {
    for (const sender of ['postfix:encrypt', 'postfix:verify', 'exim:strict']) {
      for (const profile of TAMPERED.map((p) => p.name).filter((n) => n !== 'tls1.2')) {
        expect(recipes.cell(sender, profile).verdict, `${sender} x ${profile}`).toBe('pass');
        expect(recipes.cell(sender, profile).outcome, `${sender} x ${profile}`).toBe('refused-before-tls');
      }
    }
  });
});
