/**
 * The managed senders badmx can run itself: real MTAs from Debian at the TLS settings
 * their documentation describes. The recipe files live in harness/<software>/.
 */
/** The MTAs badmx can run itself, by the scheme of their specs (postfix:may, exim:strict, …); each is started as mta-software.ts says. */
export type MtaSoftwareName = 'postfix' | 'exim' | 'opensmtpd' | 'sendmail';

export interface MtaRecipe {
  spec: string;
  software: MtaSoftwareName;
  variant: string;
  /** What this setting means, in the MTA's own terms. */
  summary: string;
  /** Where the MTA documents it. */
  documentation: string;
  /** Deviations from stock of this recipe alone, beyond those its MTA's recipes share (mta-software.ts); each also marked DEVIATION in harness/<software>/. */
  deviations?: readonly string[];
}

export const MTA_RECIPES: readonly MtaRecipe[] = [
  {
    spec: 'postfix:may',
    software: 'postfix',
    variant: 'may',
    summary: "smtp_tls_security_level = may (Debian's default): opportunistic TLS, no certificate checks, plaintext when TLS is not offered or fails",
    documentation: 'Postfix TLS_README "Opportunistic TLS"; postconf(5) smtp_tls_security_level',
  },
  {
    spec: 'postfix:encrypt',
    software: 'postfix',
    variant: 'encrypt',
    summary: 'smtp_tls_security_level = encrypt: mandatory TLS, no certificate checks',
    documentation: 'Postfix TLS_README "Mandatory TLS encryption"',
  },
  {
    spec: 'postfix:verify',
    software: 'postfix',
    variant: 'verify',
    summary: 'smtp_tls_security_level = verify: mandatory TLS, trusted chain, name matches the MX hostname (smtp_tls_verify_cert_match = hostname)',
    documentation: 'Postfix TLS_README "Mandatory server certificate verification"',
  },
  {
    spec: 'postfix:secure',
    software: 'postfix',
    variant: 'secure',
    summary: 'smtp_tls_security_level = secure: mandatory TLS, trusted chain, name matches the next-hop domain (smtp_tls_secure_cert_match = nexthop, dot-nexthop)',
    documentation: 'Postfix TLS_README "Secure server certificate verification"',
  },
  {
    spec: 'postfix:mta-sts',
    software: 'postfix',
    variant: 'mta-sts',
    summary:
      "smtp_tls_security_level = may (Debian's default) with Debian's postfix-mta-sts-resolver as smtp_tls_policy_maps (socketmap): where a domain publishes an MTA-STS policy in enforce mode, secure match=<the policy's mx patterns> (mandatory TLS, trusted chain, MX name in the policy); a policy in testing or none mode, or none, leaves may",
    documentation:
      'RFC 8461; postfix-mta-sts-resolver README "Postfix configuration", mta-sts-daemon(1), mta-sts-daemon.yml(5); Postfix TLS_README "TLS policy table", postconf(5) smtp_tls_policy_maps',
    deviations: [
      "postfix-mta-sts-resolver's daemon is the instance's own: a unix socket in its work directory (stock: 127.0.0.1:8461), run as _mta-sts in a resolver namespace on the harness resolv.conf (and nsswitch.conf hosts: files dns), with SSL_CERT_FILE the system store plus the harness test root, logging at debug level",
      "its SQLite cache is the instance's own, empty at start (Debian: /var/lib/mta-sts/cache.db, kept across restarts), and a cached policy is re-checked after the retry interval (cache_grace, stock 60s)",
    ],
  },
  {
    spec: 'postfix:dane',
    software: 'postfix',
    variant: 'dane',
    summary:
      'smtp_tls_security_level = dane with smtp_dns_support_level = dnssec: where the MX host has DNSSEC-validated TLSA records, TLS is mandatory and the certificate must match them (DANE-EE: key only; DANE-TA: chain and name); without usable TLSA records, may (opportunistic); a failed TLSA lookup defers',
    documentation: 'RFC 7672; Postfix TLS_README "Opportunistic DANE TLS"; postconf(5) smtp_tls_security_level, smtp_dns_support_level, dnssec_probe',
    deviations: [
      'resolves through a validating unbound of its own (Debian\'s, harness/unbound/unbound.conf) that trusts only the harness zone\'s DS, with "options trust-ad" in its resolv.conf (glibc clears the AD bit otherwise)',
      'dnssec_probe = ns:<zone> (stock ns:.): the harness resolver answers only for the harness zone',
    ],
  },
  {
    spec: 'exim:default',
    software: 'exim',
    variant: 'default',
    summary: "Debian's remote_smtp transport: TLS when offered, certificate verification tried but not required, retries in clear after a TLS failure (tls_tempfail_tryclear)",
    documentation: 'Exim specification ch. 30 (smtp transport: hosts_try_tls, tls_try_verify_hosts, tls_tempfail_tryclear) and ch. 42 (TLS)',
  },
  {
    spec: 'exim:strict',
    software: 'exim',
    variant: 'strict',
    summary: 'hosts_require_tls = * and tls_verify_hosts = *: TLS required, certificate chain and host name verified (tls_verify_cert_hostnames = *)',
    documentation: 'Exim specification ch. 30 (smtp transport: hosts_require_tls, tls_verify_hosts, tls_verify_cert_hostnames)',
  },
  {
    spec: 'exim:dane',
    software: 'exim',
    variant: 'dane',
    summary:
      "Debian's remote_smtp with hosts_try_dane = * and DNSSEC requested for every lookup (dns_dnssec_ok = 1, dnssec_request_domains = *): where the MX host's MX, address and TLSA records are DNSSEC-secure, DANE is used and the certificate must match the TLSA records; otherwise Exim's defaults (TLS when offered, retried in clear after a TLS failure)",
    documentation: 'Exim specification ch. 42 "DANE" (hosts_try_dane, hosts_require_dane), ch. 9 dns_dnssec_ok, ch. 15 dnslookup router dnssec_request_domains; RFC 7672',
    deviations: [
      'resolves through a validating unbound of its own (Debian\'s, harness/unbound/unbound.conf) that trusts only the harness zone\'s DS, with "options trust-ad" in its resolv.conf (glibc clears the AD bit otherwise)',
    ],
  },
  {
    spec: 'opensmtpd:default',
    software: 'opensmtpd',
    variant: 'default',
    summary: 'Debian\'s smtpd.conf action "relay" relay: opportunistic STARTTLS (the default "smtp" protocol), no certificate required',
    documentation: 'smtpd.conf(5) of 6.8, "relay" and "host relay-url" ("smtp: Normal SMTP session with opportunistic STARTTLS (the default)")',
  },
  {
    spec: 'opensmtpd:tls',
    software: 'opensmtpd',
    variant: 'tls',
    summary: 'relay tls no-verify: "Require TLS to be used when relaying" (mandatory STARTTLS), "do not require a valid certificate"',
    documentation: 'smtpd.conf(5) of 6.8, "relay" options: "tls [no-verify]"',
  },
  {
    spec: 'opensmtpd:verify',
    software: 'opensmtpd',
    variant: 'verify',
    summary: 'relay tls: mandatory STARTTLS and a valid certificate required (observed: chain verified, name checked against the MX host)',
    documentation: 'smtpd.conf(5) of 6.8, "relay" options: "tls [no-verify]"',
  },
  {
    spec: 'sendmail:default',
    software: 'sendmail',
    variant: 'default',
    summary: "Debian's sendmail.mc as shipped: STARTTLS used when offered, no CA configured (every certificate verify=FAIL, delivered anyway)",
    documentation: 'Sendmail Installation and Operation Guide (STARTTLS); cf/README "STARTTLS" (${verify}, tls_server)',
  },
  {
    spec: 'sendmail:starttls',
    software: 'sendmail',
    variant: 'starttls',
    summary: "Debian's sendmail.mc with its starttls.m4 and the certificates its update_tls makes (confCACERT_PATH /etc/ssl/certs plus the harness root): chain verified into ${verify}, delivered whatever it says",
    documentation: 'Sendmail Installation and Operation Guide (STARTTLS); cf/README "STARTTLS" (confCACERT, confCACERT_PATH, TLS_Srv access entries)',
  },
];

export function findRecipe(spec: string): MtaRecipe | undefined {
  return MTA_RECIPES.find((recipe) => recipe.spec === spec);
}

/**
 * Retry timers of a managed MTA in a local run (the stock values are hours and days):
 * a deferred probe is retried every `retry` and bounced by the MTA after `lifetime`.
 */
export interface MtaTimers {
  retrySeconds: number;
  lifetimeSeconds: number;
}

export const LOCAL_TIMERS: MtaTimers = { retrySeconds: 2, lifetimeSeconds: 10 };
