import { BadmxError } from '../errors.js';
import type { Profile } from './profile-schema.js';

/**
 * Names and addresses of receivers. A profile <name> in zone <zone> receives mail for
 * the domain <name>.<zone>, whose MX host is mx.<name>.<zone> (the default, `nested`
 * naming). Its certificate and its banner use that MX hostname, never the machine's own
 * name: a sender that meets its own hostname in a receiver's greeting treats it as a mail
 * loop (RFC 5321 §4.2 / Postfix "mail for ... loops back to myself").
 *
 * Public mode has a second scheme, `flat`, for one publicly trusted wildcard certificate
 * `*.<zone>`. A wildcard matches exactly one label (RFC 6125 §6.4.3), and profile names
 * contain dots (`tls1.2`), so under nested naming `tls1.2.<zone>` is two labels deep and
 * no `*.<zone>` certificate can cover it. Flat naming puts every profile one label under
 * the zone: recipient domain `<label>.<zone>`, MX `mx-<label>.<zone>`, where the label is
 * the profile name with "." written "-" (`tls1-2.badmx.example.com`,
 * `mx-tls1-2.badmx.example.com`).
 */

export const DEFAULT_ZONE = 'badmx.test';

/** `nested`: `<profile>.<zone>`, MX `mx.<profile>.<zone>` (the default). `flat`: one label under the zone, for a `*.<zone>` certificate. */
export const NAMINGS = ['nested', 'flat'] as const;
export type Naming = (typeof NAMINGS)[number];
export const DEFAULT_NAMING: Naming = 'nested';

/** Names that no profile and no zone can ever own (RFC 2606 reserves .invalid), for `names: elsewhere`. */
export const ELSEWHERE_NAMES = ['mx.elsewhere.invalid', 'elsewhere.invalid'] as const;

/**
 * Under flat naming, profiles whose certificate must name neither of their names
 * (`names: elsewhere`, i.e. wrong-host) live two labels deeper than a `*.<zone>`
 * wildcard reaches, under this label: so that the one trusted wildcard certificate, served
 * there, is a trusted chain with the wrong name and nothing else wrong.
 */
export const BEYOND_WILDCARD_LABEL = 'x';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The profile name as one DNS label, for flat naming: `tls1.2` → `tls1-2`. */
export function flatLabel(profile: string): string {
  return profile.replaceAll('.', '-');
}

export function recipientDomain(profile: string, zone: string, naming: Naming = DEFAULT_NAMING): string {
  return naming === 'flat' ? `${flatLabel(profile)}.${zone}` : `${profile}.${zone}`;
}

export function mxHostname(profile: string, zone: string, naming: Naming = DEFAULT_NAMING): string {
  return naming === 'flat' ? `mx-${flatLabel(profile)}.${zone}` : `mx.${recipientDomain(profile, zone)}`;
}

/** The MTA-STS policy host of a domain: fixed by RFC 8461 §3.3 (`https://mta-sts.<domain>/.well-known/mta-sts.txt`). */
export function policyHostname(domain: string): string {
  return `mta-sts.${domain}`;
}

/** The host serving a profile's CRL (profiles/revocation.ts): `crl.<domain>`, named in its leaf's CRL distribution point. */
export function crlHostname(domain: string): string {
  return `crl.${domain}`;
}

/** The TLS-RPT record's name (RFC 8460 §3): `_smtp._tls.<domain>`. */
export function tlsRptName(domain: string): string {
  return `_smtp._tls.${domain}`;
}

/**
 * Where a DANE client looks up an MX host's TLSA records (RFC 7672 §2.2.3, RFC 6698 §3):
 * `_25._tcp.<MX host>`, port 25 whatever port the receiver listens on locally, because the
 * name is the MX host's and SMTP between MTAs is port 25.
 */
export function tlsaName(hostname: string): string {
  return `_25._tcp.${hostname}`;
}

/** The MTA-STS TXT record's name (RFC 8461 §3.1): `_mta-sts.<domain>`. */
export function stsRecordName(domain: string): string {
  return `_mta-sts.${domain}`;
}

export interface ProfileNames {
  /** The MX hostname: banner, EHLO reply, what the certificate must name. */
  hostname: string;
  /** The recipient domain the receiver accepts mail for. */
  domain: string;
}

/**
 * A profile's names under a naming scheme: the one place that knows that, under flat
 * naming, a `names: elsewhere` profile lives beyond the wildcard's reach
 * (`wrong-host.x.<zone>`, MX `mx.wrong-host.x.<zone>`).
 */
export function profileNames(profile: Pick<Profile, 'name' | 'certificate'>, zone: string, naming: Naming = DEFAULT_NAMING): ProfileNames {
  if (naming === 'flat' && profile.certificate.names === 'elsewhere') {
    const domain = `${flatLabel(profile.name)}.${BEYOND_WILDCARD_LABEL}.${zone}`;
    return { hostname: `mx.${domain}`, domain };
  }
  return { hostname: mxHostname(profile.name, zone, naming), domain: recipientDomain(profile.name, zone, naming) };
}

export function parseNaming(value: string, flag = '--naming'): Naming {
  const found = NAMINGS.find((n) => n === value.trim().toLowerCase());
  if (!found) throw new BadmxError(`${flag} "${value}" is not a naming scheme: use ${NAMINGS.join(' or ')}`, 'EUSAGE');
  return found;
}

/**
 * Top-level names that can never be on the public internet (RFC 2606 §2, RFC 6761 §6):
 * a zone under one of them is local mode, where every sender is pointed at the
 * harness and trusts its test root; any other zone is public mode.
 */
const SPECIAL_USE_TLDS = new Set(['test', 'example', 'invalid', 'localhost', 'local']);

export function isPublicZone(zone: string): boolean {
  const tld = zone.replace(/\.$/, '').split('.').pop() ?? '';
  return !SPECIAL_USE_TLDS.has(tld.toLowerCase());
}

/** A zone must be a DNS name we can put profiles under: lower case, dot-separated labels. */
export function normalizeZone(zone: string): string {
  const lowered = zone.trim().toLowerCase().replace(/\.$/, '');
  const labels = lowered.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label)) || lowered.length > 200) {
    throw new BadmxError(
      `zone "${zone}" is not a usable DNS name: use two or more labels of a-z, 0-9 and "-" (e.g. badmx.test)`,
      'EUSAGE',
    );
  }
  return lowered;
}

/**
 * Every profile's names must be distinct and valid under the chosen scheme: flat naming
 * could map `tls1.2` and `tls1-2` to the same label, and `mx-` must still fit in 63 octets
 * (RFC 1035 §2.3.4).
 */
export function checkProfileNames(profiles: Pick<Profile, 'name' | 'certificate'>[], zone: string, naming: Naming): void {
  const owner = new Map<string, string>();
  for (const profile of profiles) {
    const names = profileNames(profile, zone, naming);
    for (const name of [names.hostname, names.domain]) {
      if (!name.split('.').every((label) => LABEL.test(label)) || name.length > 253) {
        throw new BadmxError(`profile ${profile.name}: "${name}" is not a valid DNS name under ${naming} naming (each label at most 63 characters)`, 'EPROFILE');
      }
      const other = owner.get(name);
      if (other !== undefined && other !== profile.name) {
        throw new BadmxError(`profiles ${other} and ${profile.name} both get the name "${name}" under ${naming} naming: rename one`, 'EPROFILE');
      }
      owner.set(name, profile.name);
    }
  }
}
