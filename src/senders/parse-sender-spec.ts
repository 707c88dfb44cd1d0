import { BadmxError } from '../errors.js';
import { BuiltinSender } from './builtin-sender.js';
import { CommandSender, splitCommand } from './command-sender.js';
import { ManagedMtaSender } from './mta/managed-mta-sender.js';
import { findRecipe, MTA_RECIPES } from './mta/mta-recipes.js';
import type { Sender } from './sender.js';
import { SmtpSender, type RelayTls } from './smtp-sender.js';

export const SENDER_SPEC_HELP =
  `use builtin:opportunistic, builtin:strict, ${MTA_RECIPES.map((r) => r.spec).join(', ')}, smtp:HOST[:PORT][?tls=starttls|implicit|opportunistic|none&user=NAME&password-env=VAR&ca=FILE&label=NAME] or command:COMMAND ARGS`;

const SMTP_OPTIONS = new Set(['tls', 'user', 'password-env', 'ca', 'label']);
const TLS_MODES: RelayTls[] = ['opportunistic', 'starttls', 'implicit', 'none'];

/** Turn a --sender spec into a sender: every sender option is parsed and checked here. */
export function parseSenderSpec(spec: string): Sender {
  const colon = spec.indexOf(':');
  const scheme = colon > 0 ? spec.slice(0, colon) : spec;
  const rest = colon > 0 ? spec.slice(colon + 1) : '';
  switch (scheme) {
    case 'builtin':
      if (rest === 'opportunistic' || rest === 'strict') return new BuiltinSender(rest);
      throw new BadmxError(`unknown built-in sender "${spec}": use builtin:opportunistic or builtin:strict`, 'EUSAGE');
    case 'command':
      return new CommandSender(spec, splitCommand(rest));
    case 'smtp':
      return parseSmtp(spec, rest);
    case 'postfix':
    case 'exim': {
      const recipe = findRecipe(`${scheme}:${rest}`);
      if (recipe) return new ManagedMtaSender(recipe);
      const known = MTA_RECIPES.filter((r) => r.software === scheme).map((r) => r.spec);
      throw new BadmxError(`unknown ${scheme} recipe "${spec}": use ${known.join(', ')}`, 'EUSAGE');
    }
    default:
      throw new BadmxError(`unknown sender "${spec}": ${SENDER_SPEC_HELP}`, 'EUSAGE');
  }
}

function parseSmtp(spec: string, rest: string): Sender {
  const [where = '', query = ''] = rest.replace(/^\/\//, '').split('?', 2);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(where);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(where);
  const match = bracketed ?? plain;
  if (!match?.[1]) throw new BadmxError(`sender "${spec}": expected smtp:HOST[:PORT] (IPv6 as [::1]:25)`, 'EUSAGE');
  const params = new URLSearchParams(query);
  if (params.has('password')) throw new BadmxError(`sender "${spec}": never put a password in a spec; use password-env=VAR`, 'EUSAGE');
  for (const key of params.keys()) {
    if (!SMTP_OPTIONS.has(key)) throw new BadmxError(`sender "${spec}": unknown option "${key}" (known: ${[...SMTP_OPTIONS].join(', ')})`, 'EUSAGE');
  }
  const tls = (params.get('tls') ?? 'opportunistic') as RelayTls;
  if (!TLS_MODES.includes(tls)) throw new BadmxError(`sender "${spec}": tls must be one of ${TLS_MODES.join(', ')}`, 'EUSAGE');
  const port = match[2] ? Number(match[2]) : tls === 'implicit' ? 465 : 587;
  if (!(port >= 1 && port <= 65535)) throw new BadmxError(`sender "${spec}": port must be 1-65535`, 'EUSAGE');
  const user = params.get('user') ?? undefined;
  const passwordEnv = params.get('password-env') ?? undefined;
  const caFile = params.get('ca') ?? undefined;
  const label = params.get('label') ?? undefined;
  return new SmtpSender(spec, {
    host: match[1],
    port,
    tls,
    ...(user !== undefined ? { user } : {}),
    ...(passwordEnv !== undefined ? { passwordEnv } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    ...(label !== undefined ? { label } : {}),
  });
}
