import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { findExim, findPostfix } from '../../src/senders/mta/find-mta.js';
import { findUnbound } from '../../src/senders/mta/unbound-instance.js';
import { runRecipesOnce } from '../helpers/mta-run.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The DANE suite (issue 17) against real MTAs, each resolving through a validating unbound of
 * its own that trusts only the harness zone's DS: postfix:dane and exim:dane as their
 * documentation configures DANE, beside postfix:may and exim:default (Debian's defaults, which
 * never look for TLSA records), judged by the dane policy (what RFC 7672 implies).
 *
 * What the documentation says each should do:
 * - Postfix TLS_README "Opportunistic DANE TLS": with secure TLSA records, TLS is mandatory and
 *   the certificate must match them ("dane" level; DANE-EE: the key alone, DANE-TA: the chain and
 *   the name); with insecure or no TLSA records, "may"; a TLSA lookup that fails defers.
 * - Exim specification ch. 42 "DANE": hosts_try_dane uses DANE where the MX, address and TLSA
 *   records are DNSSEC-secure, and then fails rather than fall back when the certificate does
 *   not match; where the preconditions are not met, it falls back to non-DANE delivery.
 *
 * Never skipped: without root, Postfix, Exim or unbound this fails, saying what to install.
 * Its own addresses: 127.0.207.x, the harness DNS on .253.
 */

const DANE = selectProfiles(loadCatalogue(), undefined, ['dane']);
const RECIPES = ['postfix:dane', 'exim:dane', 'builtin:dane', 'postfix:may', 'exim:default'] as const;

const recipes = runRecipesOnce({
  recipes: RECIPES,
  addressBase: testNet('harness/dane-recipes').base,
  profiles: DANE,
  policy: 'dane',
  check: () => {
    if (process.getuid?.() !== 0) throw new Error('the DANE recipes need root: run the tests as root after "sudo bash harness/install-mtas.sh"');
    findPostfix();
    findExim();
    findUnbound();
  },
});

const verdicts = (sender: string): Record<string, string> => Object.fromEntries(DANE.map((p) => [p.name, recipes.cell(sender, p.name).verdict]));

describe('the DANE recipes', () => {
  it('ran side by side, every probe settled', () => {
    expect(recipes.run.run.status).toBe('complete');
    expect(recipes.run.summary.unsettled).toBe(0);
    expect(recipes.strayThatGreeted()).toEqual([]);
  });

  it('postfix:dane passes every DANE profile: RFC 7672 as Postfix implements it', () => {
    expect(verdicts('postfix:dane')).toEqual(Object.fromEntries(DANE.map((p) => [p.name, 'pass'])));
  });

  it('exim:dane passes every DANE profile', () => {
    expect(verdicts('exim:dane')).toEqual(Object.fromEntries(DANE.map((p) => [p.name, 'pass'])));
  });

  it('builtin:dane passes every DANE profile, and says why it did not deliver', () => {
    expect(verdicts('builtin:dane')).toEqual(Object.fromEntries(DANE.map((p) => [p.name, 'pass'])));
    const said = (profile: string): string => recipes.cell('builtin:dane', profile).submission?.detail ?? '';
    expect(said('dane-ee-self-signed')).toBe('delivered over TLSv1.3, authenticated by DANE');
    expect(said('dane-ta-valid')).toBe('delivered over TLSv1.3, authenticated by DANE');
    expect(said('dane-mismatch')).toBe('DANE: no TLSA record matches the certificate chain presented (RFC 7672 §3): not delivered');
    expect(said('dane-no-starttls')).toMatch(/has TLSA records but does not offer STARTTLS: not delivered/);
    expect(said('dane-bogus')).toMatch(/^TLSA lookup error for mx\.dane-bogus\.badmx\.test:25 \(SERVFAIL/);
    expect(said('dane-unsigned')).toMatch(/^MX or address of mx\.dane-unsigned\.badmx\.test not DNSSEC-secure: DANE does not apply \(RFC 7672 §2\.2\); delivered over TLSv1\.3/);
    // The refusals the receivers saw: after the handshake at dane-mismatch, before TLS at dane-no-starttls.
    expect(recipes.cell('builtin:dane', 'dane-mismatch').outcome).toBe('refused-after-handshake');
    expect(recipes.cell('builtin:dane', 'dane-no-starttls').outcome).toBe('refused-before-tls');
  });

  it("the defaults, which never ask for TLSA records, deliver where DANE forbids it", () => {
    for (const sender of ['postfix:may', 'exim:default']) {
      expect(verdicts(sender), sender).toEqual({
        'dane-ee-valid': 'pass',
        'dane-ee-self-signed': 'pass',
        'dane-ee-expired': 'pass',
        'dane-ta-valid': 'pass',
        'dane-mismatch': 'fail',
        'dane-no-starttls': 'fail',
        'dane-bogus': 'fail',
        'dane-unsigned': 'pass',
      });
    }
  });

  it("postfix:dane says why in its own log: verified by TLSA, no matching record, TLSA lookup error", () => {
    const log = recipes.senderLog('postfix:dane');
    // TLS_README: "Verified TLS connection" where the TLSA records authenticate the server.
    for (const profile of ['dane-ee-valid', 'dane-ee-self-signed', 'dane-ee-expired', 'dane-ta-valid']) {
      expect(log, profile).toMatch(new RegExp(`Verified TLS connection established to mx\\.${profile}\\.badmx\\.test`));
    }
    expect(log).toContain('server certificate verification failed for mx.dane-mismatch.badmx.test[127.0.207.29]:25: num=65:no matching DANE TLSA records');
    expect(log).toMatch(/status=deferred \(TLS is required, but was not offered by host mx\.dane-no-starttls\.badmx\.test/);
    expect(log).toMatch(/to=<probe-[^>]+@dane-bogus\.badmx\.test>, relay=none, .*dsn=4\.7\.5, status=deferred \(TLSA lookup error for mx\.dane-bogus\.badmx\.test:25\)/);
    // Insecure TLSA records are not used: level may, and the harness root makes it "Trusted" (PKIX), not "Verified" (DANE).
    expect(log).toContain('Trusted TLS connection established to mx.dane-unsigned.badmx.test');
    expect(recipes.cell('postfix:dane', 'dane-bogus').reason).toMatch(/^never connected: correct, the MX host's TLSA lookup fails DNSSEC validation/);
  });

  it('exim:dane says why in its own log: CV=dane, the certificate differs, tlsa lookup DEFER', () => {
    const log = recipes.senderLog('exim:dane');
    for (const profile of ['dane-ee-valid', 'dane-ee-self-signed', 'dane-ee-expired', 'dane-ta-valid']) {
      expect(log, profile).toMatch(new RegExp(`=> probe-\\S+@${profile.replace(/\./g, '\\.')}\\.badmx\\.test .* X=TLS1\\.3:\\S+ CV=dane `));
    }
    expect(log).toMatch(/DANE attempt failed; TLS connection to mx\.dane-mismatch\.badmx\.test .*The certificate differs/);
    expect(log).toMatch(/dane-no-starttls\.badmx\.test .*a TLS session is required, but the server did not offer TLS support/);
    expect(log).toMatch(/dane-bogus\.badmx\.test R=dnslookup T=remote_smtp defer \(-36\): DANE error: tlsa lookup DEFER/);
    // hosts_try_dane falls back to non-DANE where the TLSA records are not secure: verified by PKIX (CV=yes).
    expect(log).toMatch(/=> probe-\S+@dane-unsigned\.badmx\.test .* CV=yes /);
  });

  it('each cell holds the DANE evidence: the records published, the certificate presented, and whether the sender asked for the records', () => {
    const profile = recipes.run.profiles.find((p) => p.name === 'dane-ee-self-signed');
    expect(profile?.tlsa?.records).toEqual([{ name: '_25._tcp.mx.dane-ee-self-signed.badmx.test', usage: 3, selector: 1, matchingType: 1, data: profile?.tlsa?.presented?.spkiSha256 }]);
    expect(profile?.tlsa?.presented?.issuer).toBe(profile?.tlsa?.presented?.subject);
    // The DANE senders asked through their own resolvers, for every profile whose MX and address are secure.
    for (const sender of ['postfix:dane', 'exim:dane', 'builtin:dane']) {
      for (const name of DANE.map((p) => p.name).filter((n) => n !== 'dane-unsigned')) {
        const own = recipes.cell(sender, name).tlsaQueries?.filter((q) => q.by === 'sender') ?? [];
        expect(own.length, `${sender} x ${name}`).toBeGreaterThan(0);
      }
    }
    // Debian's defaults never asked: no query from their address, and none from a DANE sender's counted as theirs.
    for (const sender of ['postfix:may', 'exim:default']) {
      for (const name of DANE.map((p) => p.name)) expect(recipes.cell(sender, name).tlsaQueries, `${sender} x ${name}`).toEqual([]);
    }
  });

  it("each DANE recipe's own resolver validated the zone: its log shows the bogus TLSA RRset, and it asked the harness DNS from its own address", () => {
    for (const sender of ['postfix:dane', 'exim:dane', 'builtin:dane']) {
      const log = readFileSync(join(recipes.outDir, 'senders', `${sender.replace(':', '_')}.unbound.log`), 'utf8');
      expect(log, sender).toMatch(/validation failure <_25\._tcp\.mx\.dane-bogus\.badmx\.test\. TLSA IN>: signature crypto failed from 127\.0\.207\.253/);
      if (sender !== 'builtin:dane') expect(recipes.run.senders.find((s) => s.label === sender)?.software?.version, sender).toMatch(/\(unbound \d+\.\d+\.\d+\)$/);
    }
  });
});
