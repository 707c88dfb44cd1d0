import { describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { serializeRunDocument } from '../../src/document/serialize-run-document.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { BAD_CERTIFICATE, runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Real Postfix and Exim from Debian, run by badmx from the recipes in harness/, finding
 * each receiver by MX through the harness DNS and delivering to it on port 25. Each
 * assertion is what the MTA's documentation says that setting does; where the MTA does
 * something the reader might not expect, the test pins what it does and says why.
 *
 * Never skipped: without root, Postfix or Exim this fails with the message saying how to
 * install them (harness/install-mtas.sh, run by .ci/run).
 */

const RECIPES = ['postfix:may', 'postfix:encrypt', 'postfix:verify', 'postfix:secure', 'exim:default', 'exim:strict'] as const;
const ADDRESS_BASE = testNet('harness/mta-recipes').base;
const NO_TLS = ['no-starttls', 'starttls-454', 'handshake-failure'];

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: ADDRESS_BASE,
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the Postfix and Exim recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
  },
});

describe('every managed MTA', () => {
  it('ran for real, settled every probe by its own log, and left nothing unattributed', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    // Nothing that said who it was is left unattributed (a bare connect-and-close may be: see strayThatGreeted).
    expect(recipes.strayThatGreeted()).toEqual([]);
    for (const sender of recipes.run.senders) {
      expect(sender.kind).toBe('mta');
      expect(sender.software?.version).toMatch(/^\d+\.\d+/);
      // deviations from stock are listed in the report
      expect(sender.notes.some((n) => /retry timers shortened/.test(n))).toBe(true);
    }
    expect(recipes.run.senders.find((s) => s.label === 'postfix:may')?.software?.name).toBe('Postfix');
    // and run.json reads back through the report schema unchanged (kind "mta", software)
    const file = join(recipes.outDir, 'run.json');
    expect(serializeRunDocument(loadRunDocument(file).document)).toBe(readFileSync(file, 'utf8'));
    expect(recipes.run.senders.find((s) => s.label === 'exim:default')?.software?.name).toBe('Exim');
  });

  it('found the receivers by MX lookup through the harness DNS, not by address', () => {
    // Postfix logs relay=<MX hostname>[<address>]:25, Exim H=<MX hostname> [<address>]:25
    expect(recipes.senderLog('postfix:may')).toContain('relay=mx.tls1.2.badmx.test[127.0.9.6]:25');
    expect(recipes.senderLog('exim:default')).toMatch(/H=mx\.tls1\.2\.badmx\.test \[127\.0\.9\.6\]/);
    // and introduced themselves with their own names, never the machine's
    expect(recipes.cell('postfix:may', 'tls1.2').evidence[0]?.helo).toBe('postfix-may.senders.badmx.test');
    expect(recipes.cell('exim:strict', 'tls1.2').evidence[0]?.helo).toBe('exim-strict.senders.badmx.test');
  });

  it('delivers to the controls over the TLS version each one offers', () => {
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'tls1.2'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.2' } });
      expect(recipes.cell(sender, 'tls1.3'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.3' } });
    }
  });

  it('delivers over TLS 1.0 and 1.1 at every level (pinned: neither MTA sets a floor above TLS 1.0 by default)', () => {
    // Postfix: smtp_tls_mandatory_protocols defaults to ">=TLSv1" (postconf(5)), and Postfix
    // lowers OpenSSL's security level for these ciphers; Exim's GnuTLS "NORMAL" priority on
    // Debian 12 still enables TLS 1.0 and 1.1. So even the verifying levels deliver over
    // retired protocols: the Amazon SES "Require TLS" finding, reproduced with stock MTAs.
    for (const sender of RECIPES) {
      expect(recipes.cell(sender, 'tls1.0'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.0' }, verdict: 'fail' });
      expect(recipes.cell(sender, 'tls1.1'), sender).toMatchObject({ outcome: 'delivered-tls', tls: { version: 'TLSv1.1' }, verdict: 'fail' });
    }
  });
});

describe('opportunistic: postfix:may (Debian default) and exim:default (Debian remote_smtp)', () => {
  for (const sender of ['postfix:may', 'exim:default']) {
    it(`${sender} sends plaintext when STARTTLS is not offered (TLS_README: "may"; Exim hosts_try_tls)`, () => {
      expect(recipes.cell(sender, 'no-starttls').outcome).toBe('delivered-plaintext');
    });

    it(`${sender} falls back to plaintext when STARTTLS is refused or the handshake fails`, () => {
      // Postfix: "may" retries the delivery without TLS; Exim: tls_tempfail_tryclear = true.
      expect(recipes.cell(sender, 'starttls-454').outcome).toBe('plaintext-after-tls-failure');
      expect(recipes.cell(sender, 'handshake-failure').outcome).toBe('plaintext-after-tls-failure');
    });

    it(`${sender} delivers to every bad certificate: encrypted, not authenticated`, () => {
      for (const profile of BAD_CERTIFICATE) {
        expect(recipes.cell(sender, profile), profile).toMatchObject({ outcome: 'delivered-tls', verdict: 'fail' });
      }
    });
  }
});

describe('postfix:encrypt (mandatory TLS, no certificate checks)', () => {
  it('refuses every receiver without usable TLS', () => {
    expect(recipes.cell('postfix:encrypt', 'no-starttls').outcome).toBe('refused-before-tls');
    expect(recipes.cell('postfix:encrypt', 'starttls-454').outcome).toBe('refused-before-tls');
    expect(recipes.cell('postfix:encrypt', 'handshake-failure').outcome).toBe('refused-at-handshake');
    expect(recipes.cell('postfix:encrypt', 'handshake-failure').submission?.detail).toMatch(/deferred/);
  });

  it('still delivers to every bad certificate (TLS_README: "encrypt" does not verify)', () => {
    for (const profile of BAD_CERTIFICATE) {
      expect(recipes.cell('postfix:encrypt', profile), profile).toMatchObject({ outcome: 'delivered-tls' });
    }
  });
});

describe('verifying: postfix:verify, postfix:secure, exim:strict', () => {
  for (const sender of ['postfix:verify', 'postfix:secure', 'exim:strict']) {
    it(`${sender} refuses every receiver without usable TLS and never sends plaintext`, () => {
      for (const profile of NO_TLS) {
        const c = recipes.cell(sender, profile);
        expect(['refused-before-tls', 'refused-at-handshake'], `${profile}: ${c.outcome}`).toContain(c.outcome);
      }
    });

    it(`${sender} refuses every bad certificate, including wrong-host (names neither the MX nor the domain)`, () => {
      for (const profile of BAD_CERTIFICATE) {
        const c = recipes.cell(sender, profile);
        expect(['refused-at-handshake', 'refused-after-handshake'], `${profile}: ${c.outcome}`).toContain(c.outcome);
        expect(c.verdict).toBe('pass');
      }
    });
  }

  it('says why in the MTA\'s own words', () => {
    expect(recipes.cell('postfix:secure', 'self-signed').submission?.detail).toMatch(/certificate not verified|untrusted/i);
    expect(recipes.cell('exim:strict', 'expired').submission?.detail).toMatch(/certificate verification failed/);
    expect(recipes.cell('exim:strict', 'no-starttls').submission?.detail).toMatch(/TLS session is required/);
  });
});

describe('badmx run with a managed MTA: bad input', () => {
  // The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).
  const MAIN = BIN;
  ensureBuilt();
  const badmx = (args: string[], env: Record<string, string> = {}) =>
    execa('node', [MAIN, ...args, '--certs', inject('certsDir')], { reject: false, timeout: 60_000, env });

  it('an unknown recipe, or a fleet not on port 25, is a one-line usage error (exit 2)', async () => {
    const unknown = await badmx(['run', '--sender', 'postfix:sometimes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe('badmx: unknown postfix recipe "postfix:sometimes": use postfix:may, postfix:encrypt, postfix:verify, postfix:secure, postfix:mta-sts, postfix:dane');
    const port = await badmx(['run', '--sender', 'exim:default', '--port-range', '20501', '--address', testNet('harness/mta-recipes').host(1), '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(port.exitCode).toBe(2);
    expect(port.stderr).toMatch(/^badmx: exim:default deliver by MX to port 25 of each receiver: run without --port and --port-range \(as root\)/m);
  });

  it('a missing MTA says how to install it (exit 2), and run.json is still written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const result = await badmx(['run', '--sender', 'exim:strict', '--address-base', testNet('harness/mta-recipes').host(100), '--dns', testNet('harness/mta-recipes').host(254), '--out', out], { BADMX_EXIM: '/nonexistent/exim4' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^badmx: Exim is not installed \(looked for \/nonexistent\/exim4\): run "sudo bash harness\/install-mtas\.sh"/m);
    expect(existsSync(join(out, 'run.json'))).toBe(true);
  });
});
