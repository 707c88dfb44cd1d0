/**
 * The sending side of MTA-STS (RFC 8461), the parts that are pure: reading the `_mta-sts`
 * TXT record (§3.1), parsing a policy (§3.2) and matching an MX host against its patterns
 * (§4.1). What a sender does with them lives in mta-sts-sender.ts.
 */

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  mx: string[];
  /** Seconds (§3.2: at most 31557600). */
  maxAge: number;
}

/** §3.2: "max_age": "maximum value of 31557600". */
const MAX_AGE_LIMIT = 31_557_600;

/**
 * The policy id from the TXT records at `_mta-sts.<domain>` (§3.1): only records that begin
 * with `v=STSv1;` count, and "If multiple TXT records for _mta-sts are returned by the
 * resolver, records that do not begin with v=STSv1; are discarded. If the number of
 * resulting records is not one, or if the resulting record is syntactically invalid, senders
 * MUST assume the recipient domain does not have an available MTA-STS Policy."
 */
export function parseStsRecord(records: string[][]): { id: string } | { error: string } {
  // A TXT record of several strings is one record, its strings concatenated (RFC 7208 §3.3 does the same for SPF).
  const joined = records.map((strings) => strings.join(''));
  const sts = joined.filter((text) => /^v=STSv1;/.test(text));
  if (sts.length === 0) return { error: joined.length === 0 ? 'no _mta-sts TXT record' : 'no _mta-sts TXT record begins with "v=STSv1;"' };
  if (sts.length > 1) return { error: `${sts.length} _mta-sts TXT records begin with "v=STSv1;" (RFC 8461 §3.1: exactly one)` };
  const fields = new Map<string, string>();
  for (const part of (sts[0] as string).split(';')) {
    const field = part.trim();
    if (field === '') continue;
    const eq = field.indexOf('=');
    if (eq <= 0) return { error: `the _mta-sts record has a field without "=": "${field}"` };
    fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
  }
  const id = fields.get('id');
  // §3.1: sts-id = 1*32(ALPHA / DIGIT)
  if (!id || !/^[A-Za-z0-9]{1,32}$/.test(id)) return { error: `the _mta-sts record's id is not 1 to 32 letters and digits: "${id ?? ''}"` };
  return { id };
}

/**
 * Parse a policy file (§3.2): `key: value` lines ended by CRLF or LF; `version` must be STSv1,
 * `mode` one of enforce/testing/none, `max_age` a whole number of seconds, and every `mx` a
 * host name or `*.` pattern; at least one `mx` unless the mode is `none`. Unknown keys are
 * ignored (§3.2: "Additional key/value pairs may be defined in future; receivers ... MUST
 * ignore unknown keys" — here the sender is the one reading).
 */
export function parseStsPolicy(text: string): StsPolicy | { error: string } {
  const fields: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const colon = raw.indexOf(':');
    if (colon <= 0) return { error: `the policy has a line that is not "key: value": "${raw.slice(0, 80)}"` };
    fields.push([raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()]);
  }
  const first = (key: string): string | undefined => fields.find(([k]) => k === key)?.[1];
  if (first('version') !== 'STSv1') return { error: `the policy's version is "${first('version') ?? ''}", not STSv1` };
  const mode = first('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { error: `the policy's mode is "${mode ?? ''}", not enforce, testing or none` };
  const age = first('max_age') ?? '';
  if (!/^\d{1,10}$/.test(age) || Number(age) > MAX_AGE_LIMIT) return { error: `the policy's max_age is "${age}", not a number of seconds up to ${MAX_AGE_LIMIT}` };
  const mx = fields.filter(([k]) => k === 'mx').map(([, v]) => v.toLowerCase().replace(/\.$/, ''));
  const bad = mx.find((pattern) => !/^(\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(pattern));
  if (bad !== undefined) return { error: `the policy's mx pattern "${bad}" is not a host name or "*." pattern` };
  if (mx.length === 0 && mode !== 'none') return { error: 'the policy lists no mx pattern' };
  return { mode, mx, maxAge: Number(age) };
}

/**
 * §4.1: an MX host matches a pattern that is its name, or `*.` followed by its name without
 * its first label ("the wildcard ... matches only the left-most label").
 */
export function mxMatches(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((pattern) => {
    if (!pattern.startsWith('*.')) return pattern === name;
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  });
}
