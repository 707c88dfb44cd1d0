import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsharkHello, writePcap } from '../evidence/fixtures/client-hello/tshark.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { findExim, findPostfix } from '../../src/senders/mta/find-mta.js';
import { runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

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
const DOWNGRADED = ['starttls-221', 'starttls-354', 'starttls-500', 'starttls-501', 'starttls-530', 'starttls-220-plaintext', 'starttls-220-no-transition'];
/** Profiles where TLS, or the session itself, is not what the man in the middle took away. */
const OWN_CASES = ['starttls-injection', 'greeting-554'];

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/tampering-recipes').base,
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
        expect(recipes.cell(sender, profile).attack?.verdict, `${sender} x ${profile}`).toBe('downgraded');
      }
      // 421: the session is closed; they defer and meet it again (held).
      expect(recipes.cell(sender, 'starttls-421').outcome, sender).toBe('refused-before-tls');
      // EHLO refused: HELO, no extensions, plaintext, STARTTLS never asked for.
      expect(recipes.cell(sender, 'ehlo-refused').outcome, sender).toBe('delivered-plaintext');
      // STARTTLS left out of the first EHLO reply: they greet once and go on in plaintext.
      expect(recipes.cell(sender, 'starttls-second-ehlo'), sender).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail', attack: { verdict: 'downgraded' } });
      expect(recipes.cell(sender, 'starttls-second-ehlo').evidence.every((c) => c.commands.filter((v) => v === 'EHLO').length === 1), sender).toBe(true);
    }
  });

  it('mandatory TLS holds the mail at every tampered profile', () => {
    for (const sender of ['postfix:encrypt', 'postfix:verify', 'exim:strict']) {
      for (const profile of TAMPERED.map((p) => p.name).filter((n) => n !== 'tls1.2' && !OWN_CASES.includes(n))) {
        expect(recipes.cell(sender, profile).verdict, `${sender} x ${profile}`).toBe('pass');
        expect(recipes.cell(sender, profile).outcome, `${sender} x ${profile}`).toBe('refused-before-tls');
      }
    }
  });

  it('response injection (EAST B_1): Postfix ignores the forged lines and delivers over TLS; Exim finds them and drops TLS, and its default then goes on in plaintext', () => {
    // Postfix waits for the real reply inside TLS: nothing sent while its EHLO was unanswered.
    for (const sender of ['postfix:may', 'postfix:encrypt', 'postfix:verify']) {
      const cell = recipes.cell(sender, 'starttls-injection');
      expect(cell.outcome, sender).toBe('delivered-tls');
      expect(cell.verdict, sender).toBe('pass');
      expect(cell.attack, sender).toMatchObject({ verdict: 'held', case: 'Buffering/B_1' });
      expect(cell.evidence.find((c) => c.injection)?.injection, sender).toEqual({ withheld: 'EHLO', lines: [] });
    }
    // Exim reads past the 220, finds data it did not ask for, and ends the TLS session before a word
    // inside it: "TLS session: synch error before connect" in its own log.
    for (const sender of ['exim:default', 'exim:strict']) {
      const cell = recipes.cell(sender, 'starttls-injection');
      expect(cell.evidence.some((c) => c.tls !== null && c.injection === undefined), sender).toBe(true);
      expect(cell.evidence.every((c) => !c.commands.includes('MAIL') || c.tls === null), sender).toBe(true);
    }
    expect(recipes.cell('exim:strict', 'starttls-injection')).toMatchObject({ outcome: 'refused-after-handshake', verdict: 'pass', attack: { verdict: 'held' } });
    expect(recipes.cell('exim:strict', 'starttls-injection').submission?.detail).toMatch(/TLS session: synch error before connect/);
    // tls_tempfail_tryclear (default true): the failed TLS session sends exim:default back in the clear.
    expect(recipes.cell('exim:default', 'starttls-injection')).toMatchObject({ outcome: 'plaintext-after-tls-failure', verdict: 'fail', attack: { verdict: 'downgraded' } });
  });

  it('a 554 greeting: every setting quits before EHLO and holds the mail, as its own words (quoting the greeting) say', () => {
    for (const sender of RECIPES) {
      const cell = recipes.cell(sender, 'greeting-554');
      expect(cell.connections, sender).toBe(0);
      expect(cell.verdict, sender).toBe('pass');
      expect(cell.reason, sender).toMatch(/its own words quote the greeting: "554 mx\.greeting-554\.badmx\.test No SMTP service here"/i);
      expect(cell.attack?.verdict, sender).toBe('held');
    }
    // Postfix: smtp_skip_5xx_greeting (default yes) skips the host and defers; Exim takes the 554 as permanent.
    expect(recipes.cell('postfix:may', 'greeting-554').submission?.detail).toMatch(/refused to talk to me: 554/);
    expect(recipes.cell('exim:default', 'greeting-554').submission?.detail).toMatch(/SMTP error from remote mail server after initial connection: 554/);
  });

  it('what each setting offers in its ClientHello, as the receivers recorded it; tshark reads the same fingerprint and lists from the same octets', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'badmx-tampering-hello-'));
    for (const sender of RECIPES) {
      const client = recipes.run.senders.find((s) => s.label === sender)?.tlsClient;
      expect(client?.hellos.length, sender).toBeGreaterThan(0);
      for (const [i, entry] of (client?.hellos ?? []).entries()) {
        const file = join(scratch, `${sender.replace(/\W/g, '-')}-${i}.pcap`);
        writePcap(file, Buffer.from(entry.hex, 'hex'));
        const seen = await tsharkHello(file);
        expect(seen.ja3Full, sender).toBe(entry.ja3Full);
        expect(seen.ja3, sender).toBe(entry.ja3);
        expect(seen.ciphers, sender).toEqual(entry.hello.cipherSuites.map((c) => c.code));
        expect(seen.extensions, sender).toEqual(entry.hello.extensions.map((c) => c.code));
        expect(seen.groups, sender).toEqual(entry.hello.supportedGroups.map((c) => c.code));
        expect(seen.sigAlgs, sender).toEqual(entry.hello.signatureAlgorithms.map((c) => c.code));
        expect(seen.sni, sender).toBe(entry.hello.sni);
      }
      // Debian 12's defaults, as the wire shows them: every setting offers TLS 1.0 and 1.1 in
      // supported_versions (smtp_tls_protocols and Exim's openssl_options leave them on), RSA key
      // transport and CBC suites, and no SNI (Postfix smtp_tls_servername, Exim tls_sni: unset).
      expect(client?.findings, sender).toEqual(
        expect.arrayContaining(['offers TLS 1.0 and TLS 1.1 (retired: RFC 8996)', 'offers RSA key transport (no forward secrecy)', 'offers CBC cipher suites', 'sends no SNI']),
      );
      // Observed: Postfix offers anonymous (aNULL) suites at may and encrypt, which authenticate nothing
      // anyway, and leaves them out at verify, where it checks the certificate; Exim never offers them.
      expect(client?.findings.includes('offers anonymous cipher suites (no server authentication)'), sender).toBe(sender === 'postfix:may' || sender === 'postfix:encrypt');
    }
  });
});

