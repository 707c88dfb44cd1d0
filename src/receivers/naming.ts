import { BadmxError } from '../errors.js';

/**
 * Names and addresses of receivers. A profile <name> in zone <zone> receives mail for
 * the domain <name>.<zone>, whose MX host is mx.<name>.<zone>. Its certificate and its
 * banner use that MX hostname, never the machine's own name: a sender that meets its
 * own hostname in a receiver's greeting treats it as a mail loop (RFC 5321 §4.2 / Postfix
 * "mail for ... loops back to myself").
 */

export const DEFAULT_ZONE = 'badmx.test';

/** Names that no profile and no zone can ever own (RFC 2606 reserves .invalid), for `names: elsewhere`. */
export const ELSEWHERE_NAMES = ['mx.elsewhere.invalid', 'elsewhere.invalid'] as const;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function recipientDomain(profile: string, zone: string): string {
  return `${profile}.${zone}`;
}

export function mxHostname(profile: string, zone: string): string {
  return `mx.${recipientDomain(profile, zone)}`;
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
