import { describe, expect, it } from 'vitest';
import { findSendmail } from '../../src/senders/mta/sendmail-instance.js';
import { BAD_CERTIFICATE, runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Debian's Sendmail 8.17.1.9, run by badmx from the recipes in harness/sendmail/ (Debian's
 * sendmail.mc as shipped, and with Debian's starttls.m4), finding each receiver by MX
 * through the harness DNS and delivering to it on port 25. Each assertion is what the
 * Sendmail Installation and Operation Guide (doc/op) or cf/README says; where Sendmail
 * does something else, the test pins what it does and says so.
 *
 * Never skipped: without root or the unpacked Sendmail this fails with the message saying
 * how to install it (bash harness/install-mtas.sh, which runs harness/install-sendmail.sh).
 */

const RECIPES = ['sendmail:default', 'sendmail:starttls'] as const;

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/sendmail-recipes').base,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the Sendmail recipes run as root: run "sudo bash harness/install-mtas.sh", then the tests as root');
    findSendmail();
  },
});

const NO_TLS = ['no-starttls', 'starttls-454'];

describe('every Sendmail recipe', () => {
  it('ran for real, settled every probe, and kept its log in the run directory', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    // Nothing that said who it was is left unattributed (a bare connect-and-close may be: see strayThatGreeted).
    expect(recipes.strayThatGreeted()).toEqual([]);
    for (const sender of recipes.run.senders) {
      expect(sender.kind).toBe('mta');
      expect(sender.software).toEqual({ name: 'Sendmail', version: '8.17.1.9' });
      expect(sender.notes.some((n) => /retry timers shortened/.test(n))).toBe(true);
      expect(sender.notes.some((n) => /sendmail\.cf built with m4/.test(n))).toBe(true);
      // the syslog lines, captured through the instance's private /dev/log
      expect(recipes.senderLog(sender.label)).toMatch(/sendmail\[\d+\]: starting daemon \(8\.17\.1\.9\): SMTP\+queueing@00:00:02/);
    }
  });

  it('found the receivers by MX lookup through the harness DNS, and introduced itself by its own name', () => {
    expect(recipes.senderLog('sendmail:default')).toMatch(/to=<[^>]+@tls1\.2\.badmx\.test>, .*relay=mx\.tls1\.2\.badmx\.test\. \[127\.0\.191\.6\], dsn=2\.\d\.\d, stat=Sent/);
    expect(recipes.cell('sendmail:default', 'tls1.2').evidence[0]?.helo).toBe('sendmail-default.senders.badmx.test');
    expect(recipes.cell('sendmail:starttls', 'tls1.2').evidence[0]?.helo).toBe('sendmail-starttls.senders.badmx.test');
  });

  it('delivers to the controls and over TLS 1.0 and 1.1 (no floor above what OpenSSL 3 allows at its default level)', () => {
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'tls1.2'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.2' } });
      expect(recipes.cell(sender, 'tls1.3'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.3' } });
      expect(recipes.cell(sender, 'tls1.0'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.0' }, verdict: 'fail' });
      expect(recipes.cell(sender, 'tls1.1'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.1' }, verdict: 'fail' });
    }
  });

  it('uses STARTTLS whenever offered and sends plaintext when it is not, or when it is refused (cf/README "STARTTLS": opportunistic)', () => {
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'no-starttls').outcome, sender).toBe('delivered-plaintext');
      // 454 to STARTTLS: sendmail carries on in the clear on the same connection.
      expect(recipes.cell(sender, 'starttls-454').outcome, sender).toBe('plaintext-after-tls-failure');
      for (const profile of NO_TLS) expect(recipes.cell(sender, profile).verdict, `${sender} ${profile}`).toBe('fail');
    }
  });

  it('defers, and never falls back to plaintext, when the TLS handshake fails', () => {
    // cf/README ("tls_server", TLSFallbacktoClear): a failed handshake makes ${verify}
    // SOFTWARE, which the stock tls_server ruleset turns into a temporary failure; the
    // option that would retry in the clear (confTLS_FALLBACK_TO_CLEAR) is off by default
    // and in Debian's files. Observed: "454 4.7.0 TLS handshake failed." on every attempt.
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'handshake-failure'), sender).toMatchObject({ outcome: 'refused-at-handshake', verdict: 'pass' });
      expect(recipes.cell(sender, 'handshake-failure').submission?.detail, sender).toMatch(/kept deferring after 3 attempt\(s\): .*stat=Deferred: 454 4\.7\.0 TLS handshake failed/);
      expect(recipes.senderLog(sender)).toMatch(/ruleset=tls_server, arg1=SOFTWARE, relay=mx\.handshake-failure\.badmx\.test, reject=454 4\.7\.0 TLS handshake failed/);
    }
  });

  it('delivers to every bad certificate: verification only sets ${verify}, which the stock rulesets do not act on', () => {
    // cf/README "STARTTLS": the result goes into the ${verify} macro; delivery is refused
    // only where the access map says so (TLS_Srv:<host> VERIFY), and Debian ships no such entry.
    for (const sender of RECIPES) {
      for (const profile of BAD_CERTIFICATE) {
        expect(recipes.cell(sender, profile), `${sender} ${profile}`).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
      }
    }
  });
});

describe('sendmail:default (Debian sendmail.mc, no starttls.m4)', () => {
  it('still starts TLS as a client, but verifies nothing: with no CA configured every certificate is verify=FAIL, the controls too', () => {
    // The Operation Guide: the client side of STARTTLS needs no certificate of its own; with
    // no CACertFile/CACertPath nothing can verify. Observed, the server side says so at start.
    const log = recipes.senderLog('sendmail:default');
    expect(log).toContain('STARTTLS: ServerCertFile missing');
    expect(log).toMatch(/STARTTLS=client, relay=mx\.tls1\.2\.badmx\.test\., version=TLSv1\.2, verify=FAIL/);
    expect(log).not.toMatch(/STARTTLS=client, relay=[^,]*, version=[^,]*, verify=OK/);
  });
});

describe("sendmail:starttls (Debian starttls.m4, certificates from update_tls, test root trusted)", () => {
  it('verifies the chain (verify=OK for the controls, FAIL for bad chains) but delivers either way', () => {
    const log = recipes.senderLog('sendmail:starttls');
    expect(log).toMatch(/STARTTLS=client, relay=mx\.tls1\.2\.badmx\.test\., version=TLSv1\.2, verify=OK/);
    for (const profile of ['self-signed', 'expired', 'not-yet-valid', 'untrusted-root', 'incomplete-chain']) {
      expect(log, profile).toMatch(new RegExp(`STARTTLS=client, relay=mx\\.${profile}\\.badmx\\.test\\., version=[^,]+, verify=FAIL`));
    }
  });

  it('does not check names: wrong-host verifies OK (pinned: 8.17 has no client-side name check by default)', () => {
    // cf/README: ${verify} is the chain's result only; ${cn_subject}/${cert_subject} are left
    // to the access map (TLS_Srv with CN checks), which Debian's stock files do not set.
    expect(recipes.senderLog('sendmail:starttls')).toMatch(/STARTTLS=client, relay=mx\.wrong-host\.badmx\.test\., version=[^,]+, verify=OK/);
  });

  it('presents the client certificate made as Debian\'s update_tls makes it', () => {
    expect(recipes.senderLog('sendmail:starttls')).not.toMatch(/STARTTLS: (Server|Client)CertFile missing/);
  });
});
