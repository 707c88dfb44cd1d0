import { BadmxError } from '../errors.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import { BuiltinSender } from '../senders/builtin-sender.js';
import { MtaStsSender } from '../senders/mta-sts-sender.js';
import { DaneSender } from '../senders/mta/dane-sender.js';
import { CommandSender, splitCommand } from '../senders/command-sender.js';
import { ManagedMtaSender } from '../senders/mta/managed-mta-sender.js';
import { findRecipe, MTA_RECIPES } from '../senders/mta/mta-recipes.js';
import type { Sender } from '../senders/sender.js';
import { SmtpSender, type RelayTls } from '../senders/smtp-sender.js';
import type { RetryModel } from '../senders/sender.js';
import { parseDuration } from '../text/duration.js';
import { MTA_SOFTWARE_NAMES } from '../senders/mta/mta-software.js';

export const SENDER_SPEC_HELP =
  `use builtin:opportunistic, builtin:strict, builtin:mta-sts, builtin:dane, ${MTA_RECIPES.map((r) => r.spec).join(', ')}, smtp:HOST[:PORT][?tls=starttls|implicit|opportunistic|none&user=NAME&password-env=VAR&ca=FILE&label=NAME&retries=none|5m,10m&attempt=1m] or command:COMMAND ARGS`;

const SMTP_OPTIONS = new Set(['tls', 'user', 'password-env', 'ca', 'label', 'retries', 'attempt']);
const TLS_MODES: RelayTls[] = ['opportunistic', 'starttls', 'implicit', 'none'];

/**
 * Turn a --sender spec into a sender: every sender option is parsed and checked here.
 * Errors quote the spec as `redactSpec` shows it: a secret someone put in it by mistake
 * (password=, user:password@) is refused without being echoed to the terminal or a log.
 */
export function parseSenderSpec(spec: string): Sender {
  const colon = spec.indexOf(':');
  const scheme = colon > 0 ? spec.slice(0, colon) : spec;
  const rest = colon > 0 ? spec.slice(colon + 1) : '';
  const shown = redactSpec(spec);
  switch (scheme) {
    case 'builtin': {
      // builtin:MODE[?label=NAME]: a label lets one mode run as several senders side by side.
      const [mode = '', query] = rest.split('?', 2);
      if (mode !== 'opportunistic' && mode !== 'strict' && mode !== 'mta-sts' && mode !== 'dane') {
        throw new BadmxError(`unknown built-in sender "${shown}": use builtin:opportunistic, builtin:strict, builtin:mta-sts or builtin:dane`, 'EUSAGE');
      }
      const make = (options: { label?: string }): Sender =>
        mode === 'mta-sts' ? new MtaStsSender(options) : mode === 'dane' ? new DaneSender(options) : new BuiltinSender(mode, options);
      if (query === undefined) return make({});
      const params = new URLSearchParams(query);
      const unknown = [...params.keys()].filter((key) => key !== 'label');
      if (unknown.length > 0) throw new BadmxError(`${shown}: unknown option ${unknown.map((k) => `"${k}"`).join(', ')}: a built-in sender takes only label=NAME`, 'EUSAGE');
      const label = params.get('label') ?? '';
      if (!/^[\x21-\x7e][\x20-\x7e]{0,99}$/.test(label)) throw new BadmxError(`${shown}: label= must be 1 to 100 printable characters`, 'EUSAGE');
      return make({ label });
    }
    case 'command':
      return new CommandSender(spec, splitCommand(rest));
    case 'smtp':
      return parseSmtp(spec, rest);
    default: {
      // postfix:, exim: and every other MTA badmx runs itself (senders/mta/mta-software.ts).
      if ((MTA_SOFTWARE_NAMES as string[]).includes(scheme)) {
        const recipe = findRecipe(`${scheme}:${rest}`);
        if (recipe) return new ManagedMtaSender(recipe);
        const known = MTA_RECIPES.filter((r) => r.software === scheme).map((r) => r.spec);
        throw new BadmxError(`unknown ${scheme} recipe "${shown}": use ${known.join(', ')}`, 'EUSAGE');
      }
      throw new BadmxError(`unknown sender "${shown}": ${SENDER_SPEC_HELP}`, 'EUSAGE');
    }
  }
}

/**
 * The options whose values are not secret, shown as given when they look right; any other
 * option's value is masked. password-env names a variable: a value that cannot be one may
 * be the password itself, put there by mistake.
 */
const SHOWN_OPTIONS: ReadonlyMap<string, (value: string) => boolean> = new Map([
  ['tls', () => true],
  ['user', () => true],
  ['password-env', (value: string) => ENV_NAME.test(value)],
  ['ca', () => true],
  ['label', () => true],
  ['retries', () => true],
  ['attempt', () => true],
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MASK = '***';

/**
 * A spec as errors may quote it, with whatever might be a secret masked: credentials before
 * an "@" (`smtp://user:pw@host`); the value of any option other than the known harmless
 * ones (`password=`, a misspelt `pasword=`); and, once a value was masked or credentials
 * spilled into the query (a raw "?" or "&" in a password), every later part that is not a
 * known option, name and all, since it may be the rest of that secret. The user still
 * sees which spec, and the host.
 */
export function redactSpec(spec: string): string {
  return redactedSpec(spec).text;
}

function redactedSpec(spec: string): { text: string; shownNames: Set<string> } {
  const q = spec.indexOf('?');
  const head = q < 0 ? spec : spec.slice(0, q);
  const prefix = /^[a-z][a-z0-9+.-]*:(?:\/\/)?/i.exec(head)?.[0] ?? '';
  const authority = head.slice(prefix.length);
  const at = authority.lastIndexOf('@');
  const parts = q < 0 ? [] : spec.slice(q + 1).split('&');
  // A raw "?" or "&" in the password of user:password@host puts the "@" in the query.
  const spilled = parts.findLastIndex((part) => part.split('=', 1)[0]?.includes('@'));
  const shownNames = new Set<string>();
  let tainted = false;
  const query = parts.map((part, i) => {
    if (i <= spilled) return MASK;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const key = decodeOption(name);
    if (SHOWN_OPTIONS.get(key)?.(eq < 0 ? '' : decodeOption(part.slice(eq + 1)))) {
      shownNames.add(key);
      return part;
    }
    // Every option takes a value: a bare word is no option, and may be a secret pasted on its own.
    const showName = !tainted && eq >= 0 && looksLikeOption(key);
    if (showName) shownNames.add(key);
    if (eq >= 0) tainted = true;
    return `${showName ? name : MASK}${eq < 0 ? '' : `=${MASK}`}`;
  });
  const shownHead = `${prefix}${spilled >= 0 ? MASK : at >= 0 ? `${MASK}${authority.slice(at)}` : authority}`;
  return { text: q < 0 ? shownHead : `${shownHead}?${query.join('&')}`, shownNames };
}

function decodeOption(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

function looksLikeOption(key: string): boolean {
  return /^[a-z][a-z0-9_-]{0,31}$/i.test(key);
}

function parseSmtp(spec: string, rest: string): Sender {
  const { text: shown, shownNames } = redactedSpec(spec);
  const [where = '', query = ''] = rest.replace(/^\/\//, '').split('?', 2);
  // user:password@host, also when a raw "?" or "&" in the password moved the "@" into the query.
  if (where.includes('@') || [...new URLSearchParams(query).keys()].some((key) => key.includes('@'))) {
    throw new BadmxError(`sender "${shown}": never put credentials in a spec; use user=NAME and the password in an environment variable (password-env=VAR)`, 'EUSAGE');
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(where);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(where);
  const match = bracketed ?? plain;
  if (!match?.[1]) throw new BadmxError(`sender "${shown}": expected smtp:HOST[:PORT] (IPv6 as [::1]:25)`, 'EUSAGE');
  const params = new URLSearchParams(query);
  if (params.has('password')) throw new BadmxError(`sender "${shown}": never put a password in a spec; use password-env=VAR`, 'EUSAGE');
  for (const key of params.keys()) {
    if (!SMTP_OPTIONS.has(key)) {
      throw new BadmxError(`sender "${shown}": unknown option ${shownNames.has(key) ? `"${key}"` : '(not shown: it may hold a secret)'} (known: ${[...SMTP_OPTIONS].join(', ')})`, 'EUSAGE');
    }
  }
  const tls = (params.get('tls') ?? 'opportunistic') as RelayTls;
  if (!TLS_MODES.includes(tls)) throw new BadmxError(`sender "${shown}": tls must be one of ${TLS_MODES.join(', ')}`, 'EUSAGE');
  const port = match[2] ? Number(match[2]) : tls === 'implicit' ? 465 : 587;
  if (!(port >= 1 && port <= 65535)) throw new BadmxError(`sender "${shown}": port must be 1-65535`, 'EUSAGE');
  const user = params.get('user') ?? undefined;
  const passwordEnv = params.get('password-env') ?? undefined;
  if (passwordEnv !== undefined && !ENV_NAME.test(passwordEnv)) {
    throw new BadmxError(`sender "${shown}": password-env must name an environment variable (letters, digits and _, e.g. password-env=SMTP_PASSWORD), not hold the password`, 'EUSAGE');
  }
  const caFile = params.get('ca') ?? undefined;
  const label = params.get('label') ?? undefined;
  const retries = parseRetries(shown, params.get('retries'), params.get('attempt'));
  if (caFile !== undefined) {
    // The relay's CA bundle is a user's file like any other: bounded, and only a regular file.
    try {
      readBounded(caFile, READ_LIMITS.pem);
    } catch (error) {
      if (!(error instanceof ReadBoundedError)) throw error;
      throw new BadmxError(`sender "${shown}": ca ${caFile}: cannot read it (${error.reason})`, 'EUSAGE');
    }
  }
  return new SmtpSender(spec, {
    host: match[1],
    port,
    tls,
    ...(user !== undefined ? { user } : {}),
    ...(passwordEnv !== undefined ? { passwordEnv } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(retries ? { retries } : {}),
  });
}

/**
 * `retries=` states how a relay retries a delivery the receiver refused or deferred, so its cells
 * settle once no attempt is left instead of at --wait: `none` (it tries once), or the delays
 * between attempts, `5m,10m,20m` (then it gives up). `attempt=` is how long an attempt may take
 * to show up at the receiver once due (default 1m: the relay's queue run, its DNS lookup).
 */
function parseRetries(shown: string, retries: string | null, attempt: string | null): RetryModel | undefined {
  if (retries === null) {
    if (attempt !== null) throw new BadmxError(`sender "${shown}": attempt= goes with retries= (how the relay retries)`, 'EUSAGE');
    return undefined;
  }
  const delays = retries.trim() === 'none' ? [] : retries.split(',').map((part) => parseDuration(part, `sender "${shown}": each of retries=`));
  if (delays.length > 100) throw new BadmxError(`sender "${shown}": retries= lists at most 100 delays`, 'EUSAGE');
  return { delaysMs: delays.map(Math.round), attemptMs: Math.round(attempt === null ? 60_000 : parseDuration(attempt, `sender "${shown}": attempt=`)) };
}
