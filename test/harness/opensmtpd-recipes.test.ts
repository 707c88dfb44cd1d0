import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findOpensmtpd } from '../../src/senders/mta/opensmtpd-instance.js';
import { BAD_CERTIFICATE, runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Debian's OpenSMTPD 6.8.0p2, run by badmx from harness/opensmtpd/smtpd.conf (Debian's
 * smtpd.conf with the recipe's relay action), finding each receiver by MX through the
 * harness DNS and delivering to it on port 25. Each assertion is what smtpd.conf(5) of
 * 6.8 says the relay action does ("relay": opportunistic STARTTLS; "tls [no-verify]":
 * "Require TLS to be used when relaying ... If no-verify is specified, do not require a
 * valid certificate"); where OpenSMTPD does more or less than that, the test pins what it
 * does and says so.
 *
 * Never skipped: without root or the unpacked OpenSMTPD this fails with the message
 * saying to run harness/install-mtas.sh.
 */

const RECIPES = ['opensmtpd:default', 'opensmtpd:tls', 'opensmtpd:verify'] as const;
const NO_TLS = ['no-starttls', 'starttls-454', 'handshake-failure'];

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/opensmtpd-recipes').base,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the OpenSMTPD recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
    findOpensmtpd(); // throws "OpenSMTPD is not installed (...): run "sudo bash harness/install-mtas.sh" ..."
  },
});

describe('every OpenSMTPD recipe', () => {
  it('ran for real, side by side, and settled every probe by its own log well before the deadline', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    // Nothing that said who it was is left unattributed (a bare connect-and-close may be: see strayThatGreeted).
    expect(recipes.strayThatGreeted()).toEqual([]);
    for (const sender of recipes.run.senders) {
      expect(sender.kind).toBe('mta');
      expect(sender.software).toEqual({ name: 'OpenSMTPD', version: '6.8.0p2' });
      expect(sender.notes.some((n) => /retry timers shortened/.test(n))).toBe(true);
      expect(sender.notes.some((n) => /smtpctl schedule all/.test(n))).toBe(true);
    }
    // Every probe is delivered or expired ("queue ttl", 10 s) by OpenSMTPD itself: no
    // cell waits out the 60 s deadline (the run takes the 10 s ttl plus start-up).
    expect(recipes.wallMs).toBeLessThan(30_000);
    for (const c of recipes.run.cells) expect(c.submission?.detail, `${c.sender} x ${c.profile}`).toMatch(/^OpenSMTPD (delivered|gave up) after/);
  });

  it("kept each instance's own log in the run directory", () => {
    for (const sender of RECIPES) {
      const log = recipes.senderLog(sender);
      expect(log, sender).toContain('info: OpenSMTPD 6.8.0p2 starting');
      expect(log, sender).toMatch(/mta delivery evpid=\S+ from=<[^>]+> to=<probe-[^>]+@tls1\.2\.badmx\.test> .* result="Ok"/);
    }
  });

  it('found the receivers by MX lookup through the harness DNS, and introduced itself by its own name', () => {
    // the name check below names the MX host, which only the MX lookup gives it
    expect(recipes.senderLog('opensmtpd:verify')).toContain("ssl_check_name: no match for 'mx.wrong-host.badmx.test' in cert");
    expect(recipes.senderLog('opensmtpd:tls')).toMatch(/mta connecting address=smtp\+tls:\/\/127\.0\.190\.6:25/);
    expect(recipes.cell('opensmtpd:default', 'tls1.2').evidence[0]?.helo).toBe('opensmtpd-default.senders.badmx.test');
    expect(recipes.cell('opensmtpd:verify', 'tls1.2').evidence[0]?.helo).toBe('opensmtpd-verify.senders.badmx.test');
  });

  it('delivers to the controls over the TLS version each one offers', () => {
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'tls1.2'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.2' }, verdict: 'pass' });
      expect(recipes.cell(sender, 'tls1.3'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.3' }, verdict: 'pass' });
    }
  });

  it('delivers over TLS 1.0 and 1.1 at every setting (pinned: smtpd.conf(5) sets no protocol floor for relaying)', () => {
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'tls1.0'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.0' }, verdict: 'fail' });
      expect(recipes.cell(sender, 'tls1.1'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.1' }, verdict: 'fail' });
    }
  });

  it('bounces what it could not deliver itself when "queue ttl" expires, and the bounces never leave', () => {
    const log = recipes.senderLog('opensmtpd:verify');
    expect(log).toMatch(/relay: Expire for \S+ from=<[^>]+>, to=<probe-[^>]+@no-starttls\.badmx\.test>, .*stat=Envelope expired/);
    // The DEVIATION rule refuses bounces to the probes' domain. smtpd logs its attempt to
    // inject the bounce after the expiry line the cell settles on, so the run may stop the
    // instance before that attempt: every attempt that was logged must have been refused.
    const injections = log.match(/^.*injecting failure report.*$/gm) ?? [];
    for (const line of injections) expect(line).toMatch(/PermFail injecting failure report on message \S+ to <badmx-[^>]+@probes\.badmx\.test>/);
    expect(recipes.cell('opensmtpd:verify', 'no-starttls').submission?.detail).toMatch(/gave up after 1 attempt\(s\): expired, bounced: stat=Envelope expired/);
  });
});

describe('opensmtpd:default (Debian\'s action "relay" relay: opportunistic STARTTLS)', () => {
  it('sends plaintext when STARTTLS is not offered (smtpd.conf(5): "smtp: Normal SMTP session with opportunistic STARTTLS (the default)")', () => {
    expect(recipes.cell('opensmtpd:default', 'no-starttls').outcome).toBe('delivered-plaintext');
  });

  it('falls back to plaintext when STARTTLS is refused or the handshake fails (pinned: not in smtpd.conf(5))', () => {
    // Observed: after a 454 it carries on in the same session; after a failed handshake it
    // logs "opportunistic TLS failed, downgrading to plain" and reconnects without TLS.
    expect(recipes.cell('opensmtpd:default', 'starttls-454').outcome).toBe('plaintext-after-tls-failure');
    expect(recipes.cell('opensmtpd:default', 'handshake-failure').outcome).toBe('plaintext-after-tls-failure');
    expect(recipes.senderLog('opensmtpd:default')).toContain('opportunistic TLS failed, downgrading to plain');
  });

  it('delivers to every bad certificate: encrypted, not authenticated (it checks and logs, but does not require)', () => {
    for (const profile of BAD_CERTIFICATE) {
      expect(recipes.cell('opensmtpd:default', profile), profile).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
    }
    expect(recipes.senderLog('opensmtpd:default')).toContain('mta server-cert-check result="failure"');
  });
});

describe('opensmtpd:tls (relay tls no-verify: TLS required, no certificate checks)', () => {
  it('refuses every receiver without usable TLS, never sending plaintext ("Require TLS to be used when relaying")', () => {
    expect(recipes.cell('opensmtpd:tls', 'no-starttls').outcome).toBe('refused-before-tls');
    expect(recipes.cell('opensmtpd:tls', 'starttls-454').outcome).toBe('refused-before-tls');
    expect(recipes.cell('opensmtpd:tls', 'handshake-failure').outcome).toBe('refused-at-handshake');
    const log = recipes.senderLog('opensmtpd:tls');
    expect(log).toContain('mta error reason=TLS required but not supported by remote host');
    expect(log).toContain('mta error reason=STARTTLS rejected: 454 4.7.0 TLS not available');
  });

  it('still delivers to every bad certificate ("If no-verify is specified, do not require a valid certificate")', () => {
    for (const profile of BAD_CERTIFICATE) {
      expect(recipes.cell('opensmtpd:tls', profile), profile).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
    }
  });
});

describe('opensmtpd:verify (relay tls: TLS required, valid certificate required)', () => {
  it('refuses every receiver without usable TLS and never sends plaintext', () => {
    for (const profile of NO_TLS) {
      const c = recipes.cell('opensmtpd:verify', profile);
      expect(['refused-before-tls', 'refused-at-handshake'], `${profile}: ${c.outcome}`).toContain(c.outcome);
      expect(c.verdict).toBe('pass');
    }
  });

  it('refuses the invalid chains, and checks the name against the MX host (pinned: smtpd.conf(5) says only "valid certificate")', () => {
    for (const profile of ['self-signed', 'expired', 'not-yet-valid', 'wrong-host', 'untrusted-root', 'incomplete-chain']) {
      const c = recipes.cell('opensmtpd:verify', profile);
      expect(c.outcome, profile).toBe('refused-after-handshake');
      expect(c.verdict, profile).toBe('pass');
    }
    expect(recipes.senderLog('opensmtpd:verify')).toContain('mta error reason=SSL certificate check failed');
  });

  it('delivers to a chain signed with SHA-1 (pinned: its certificate check accepts SHA-1 signatures)', () => {
    // Observed with Debian 12's OpenSSL 3.0: the check passes (server-cert-check
    // result="success") where Postfix's verify level refuses the same certificate.
    expect(recipes.cell('opensmtpd:verify', 'sha1-signature')).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
  });
});

describe('a missing OpenSMTPD', () => {
  it('says to run harness/install-mtas.sh', () => {
    const saved = process.env.BADMX_OPENSMTPD;
    process.env.BADMX_OPENSMTPD = '/nonexistent/sbin';
    try {
      expect(() => findOpensmtpd()).toThrow(/^OpenSMTPD is not installed \(looked for smtpd and smtpctl in \/nonexistent\/sbin\): run "sudo bash harness\/install-mtas\.sh"/);
    } finally {
      if (saved === undefined) delete process.env.BADMX_OPENSMTPD;
      else process.env.BADMX_OPENSMTPD = saved;
    }
    expect(existsSync(join(recipes.outDir, 'run.json'))).toBe(true);
  });
});
