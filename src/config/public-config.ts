import { readJsonFile, validateJson } from '../files/load-json-file.js';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../text/duration.js';
import { inZone } from '../dns/zone-records.js';
import { BadmxError } from '../errors.js';
import { READ_LIMITS } from '../files/read-bounded.js';
import { DEFAULT_NAMING, NAMINGS, normalizeZone, type Naming } from '../profiles/naming.js';
import { show, typeError } from '../files/json-issues.js';
import { canonicalAddress, hostNameProblem } from './public-values.js';

/**
 * Public mode: the receivers on the internet under a zone the user controls, so that a
 * vendor's servers (which only deliver to real DNS names) can be evaluated. This is the
 * file (e.g. badmx.json) that says where; command-line flags override it (see
 * src/cli/config-option.ts).
 */
export interface PublicConfig {
  /** The zone the user controls, e.g. badmx.example.com (normalized: lower case, no trailing dot). */
  zone: string;
  /** Where receivers listen. One address: sequential schedule (one profile live at a time). At least as many as profiles: one per profile, all live. Anything in between is an error saying so. IPv4 and/or IPv6. */
  listen: { addresses: string[]; port: number /* default 25 */ };
  /** DNS: 'delegated' = the embedded server answers for the zone on dns.listen:53 (the user delegates the zone to this host with NS records at the parent); 'external' = the user's DNS provider serves a zone file from `badmx zone`. */
  dns: { mode: 'delegated' | 'external'; listen: string | null /* required for delegated */; nameServer: string /* default ns.<zone> */ };
  /**
   * The user's publicly trusted certificate and key (PEM files, from their ACME client), or
   * null. Its names must cover the MX hostnames mx.<profile>.<zone>: a wildcard *.<zone>
   * does not (a wildcard stands for exactly one label, RFC 6125 §6.4.3).
   */
  certificate: { cert: string; key: string } | null;
  /** Where run data lives (each run a directory below it). Default /var/lib/badmx. */
  dataDir: string;
  /** Sequential schedule: how long one profile's step may last at most (a duration string like "30m", "2h"; see src/text/duration.ts). Default "30m". */
  schedule: { stepLimit: string };
  /** After binding port 25/53, drop root to this user (default "nobody"); null to stay (documented as not recommended). */
  runAs: string | null;
  /** Exposure limits for the open internet. */
  limits: { connectionsPerPeer: number /* default 5 */; connectionsPerPeerPerMinute: number /* default 30 */ };
  /**
   * Profile names under the zone: "nested" (mx.tls1.2.<zone>, the default) or "flat"
   * (mx-tls1-2.<zone>), which one wildcard certificate *.<zone> covers (see naming.ts).
   */
  naming: Naming;
}

export const DEFAULT_PUBLIC_PORT = 25;
export const DEFAULT_DATA_DIR = '/var/lib/badmx';
export const DEFAULT_STEP_LIMIT = '30m';
export const DEFAULT_RUN_AS = 'nobody';
export const DEFAULT_LIMITS = { connectionsPerPeer: 5, connectionsPerPeerPerMinute: 30 } as const;

/** Where each loaded config came from, so that later errors about it (profileAddressing) can name the file. */
const sources = new WeakMap<PublicConfig, string>();

/**
 * Read and validate a public-mode configuration file. Relative paths in it (certificate,
 * dataDir) are relative to the file's directory, so the file means the same from any
 * working directory (systemd starts in /). Any problem is one BadmxError line:
 * `badmx.json: listen.addresses[1]: "300.1.2.3" is not an IP address`. At most
 * READ_LIMITS.config (1 MiB) of it is read, and only from a regular file.
 */
export function loadPublicConfig(file: string): PublicConfig {
  // An editor's byte-order mark is not a JSON error worth stopping for (parseJson drops it).
  const raw = readJsonFile(file, { label: file, limit: READ_LIMITS.config, code: 'ECONFIG' });
  const config = parsePublicConfig(raw, file, dirname(resolve(file)));
  sources.set(config, file);
  return config;
}

/** Validate an already-parsed configuration; `source` names it in errors, `baseDir` anchors its relative paths. */
export function parsePublicConfig(raw: unknown, source: string, baseDir: string): PublicConfig {
  return validateJson(raw, configSchema(baseDir), { label: source, code: 'ECONFIG', knownKeys });
}

/**
 * Which addressing the configuration gives a fleet of `profileCount` profiles:
 * - at least as many addresses as profiles: `per-profile-list`, every profile live on its
 *   own address, the i-th address for the i-th profile in catalogue (slot) order. Pass the
 *   whole catalogue's count even when running a subset, so a profile keeps its address and
 *   the published zone stays true.
 * - one address: `shared`; the profiles take turns on it (the sequential schedule), each
 *   profile's MX name resolving to it.
 * Anything in between cannot be served without guessing which profiles to leave out, and
 * is an error saying so.
 */
export function profileAddressing(
  config: PublicConfig,
  profileCount: number,
): { kind: 'per-profile-list'; addresses: string[]; port: number } | { kind: 'shared'; address: string; port: number } {
  if (!Number.isInteger(profileCount) || profileCount < 1) throw new RangeError(`profileCount must be a positive integer, not ${profileCount}`);
  const { addresses, port } = config.listen;
  if (addresses.length >= profileCount) return { kind: 'per-profile-list', addresses: addresses.slice(0, profileCount), port };
  const [only] = addresses;
  if (addresses.length === 1 && only !== undefined) return { kind: 'shared', address: only, port };
  const source = sources.get(config);
  throw new BadmxError(
    `${source ? `${source}: ` : ''}listen.addresses: ${addresses.length} addresses for ${profileCount} profiles: give 1 (the profiles take turns on it, one at a time) or at least ${profileCount} (one per profile, all live)`,
    'ECONFIG',
  );
}

const TOP_KEYS = ['zone', 'listen', 'dns', 'certificate', 'dataDir', 'schedule', 'runAs', 'limits', 'naming'] as const;
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': TOP_KEYS,
  listen: ['addresses', 'port'],
  dns: ['mode', 'listen', 'nameServer'],
  certificate: ['cert', 'key'],
  schedule: ['stepLimit'],
  limits: ['connectionsPerPeer', 'connectionsPerPeerPerMinute'],
};

function knownKeys(path: string): readonly string[] {
  return KNOWN_KEYS[path] ?? [];
}

const ipAddress = z.string({ error: typeError('an IP address') }).transform((value, ctx) => {
  const canonical = canonicalAddress(value);
  if (typeof canonical !== 'string') {
    ctx.addIssue({ code: 'custom', message: canonical.problem });
    return z.NEVER;
  }
  return canonical;
});

const count = (what: string, max: number) =>
  z
    .number({ error: typeError(`a whole number of ${what}`) })
    .int({ error: (issue) => `must be a whole number of ${what}, not ${show(issue.input)}` })
    .min(1, { error: `must be at least 1 (${what})` })
    .max(max, { error: `must be at most ${max} (${what})` });

function configSchema(baseDir: string) {
  const path = (what: string) =>
    z
      .string({ error: typeError(`a file path (${what})`) })
      .min(1, { error: `must not be empty: give a file path (${what})` })
      .transform((value) => resolve(baseDir, value));

  return z
    .strictObject(
      {
        zone: z.string({ error: typeError('the zone you control, e.g. "badmx.example.com"') }).transform((value, ctx) => {
          try {
            return normalizeZone(value);
          } catch {
            ctx.addIssue({ code: 'custom', message: `${show(value)} is not a usable DNS name: use two or more labels of a-z, 0-9 and "-" (e.g. "badmx.example.com")` });
            return z.NEVER;
          }
        }),
        listen: z.strictObject(
          {
            addresses: z
              .array(ipAddress, { error: typeError('a list of IP addresses, e.g. ["203.0.113.25"]') })
              .min(1, { error: 'must list at least one address: one for a sequential schedule, or one per profile' })
              .superRefine((addresses, ctx) => {
                addresses.forEach((address, i) => {
                  const first = addresses.indexOf(address);
                  if (first !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${show(address)} is listed twice (also at [${first}])` });
                });
              }),
            port: z
              .number({ error: typeError('a number such as 25 (senders deliver to port 25 of an MX, RFC 5321 §5.1)') })
              .int({ error: (issue) => `must be a port number from 1 to 65535, not ${show(issue.input)}` })
              .min(1, { error: (issue) => `must be a port number from 1 to 65535, not ${show(issue.input)}` })
              .max(65_535, { error: (issue) => `must be a port number from 1 to 65535, not ${show(issue.input)}` })
              .default(DEFAULT_PUBLIC_PORT),
          },
          { error: typeError('an object: { "addresses": [...], "port": 25 }') },
        ),
        dns: z.strictObject(
          {
            mode: z.enum(['delegated', 'external'], {
              error: (issue) =>
                `${issue.input === undefined ? 'is missing' : `${show(issue.input)} is not a mode`}: use "delegated" (badmx answers for the zone; NS records at the parent point here) or "external" (your DNS provider serves the file \`badmx zone\` prints)`,
            }),
            listen: ipAddress.nullable().default(null),
            nameServer: z
              .string({ error: typeError('a host name, e.g. "ns.badmx.example.com"') })
              .transform((value, ctx) => {
                const bare = value.trim().toLowerCase().replace(/\.$/, '');
                const problem = hostNameProblem(bare);
                if (problem) {
                  ctx.addIssue({ code: 'custom', message: `${show(value)} ${problem}` });
                  return z.NEVER;
                }
                return bare;
              })
              .optional(),
          },
          { error: typeError('an object: { "mode": "delegated", "listen": "203.0.113.53" }') },
        ),
        certificate: z
          .strictObject(
            { cert: path('the certificate chain, PEM'), key: path('its private key, PEM') },
            { error: typeError('an object { "cert": "<file>", "key": "<file>" }, or null for none') },
          )
          .nullable()
          .default(null),
        dataDir: path('the directory that holds the runs').default(DEFAULT_DATA_DIR),
        schedule: z
          .strictObject(
            {
              stepLimit: z
                .string({ error: typeError('a duration such as "30m" or "2h"') })
                .superRefine((value, ctx) => {
                  try {
                    parseDuration(value, 'schedule.stepLimit');
                  } catch {
                    ctx.addIssue({ code: 'custom', message: `${show(value)} is not a duration such as "30m" or "2h" (more than 0, at most 7 days)` });
                  }
                })
                .default(DEFAULT_STEP_LIMIT),
            },
            { error: typeError('an object: { "stepLimit": "30m" }') },
          )
          .prefault({}),
        naming: z
          .enum(NAMINGS, { error: (issue) => `${show(issue.input)} is not a naming: use "nested" (mx.<profile>.<zone>) or "flat" (mx-<profile>.<zone>, covered by one *.<zone> certificate)` })
          .default(DEFAULT_NAMING),
        runAs: z
          .string({ error: typeError('a user name such as "nobody", or null to keep root (not recommended)') })
          .superRefine((value, ctx) => {
            if (value === 'root') ctx.addIssue({ code: 'custom', message: '"root" drops nothing: use null to say you mean to keep root (not recommended)' });
            // POSIX portable user names (IEEE 1003.1 §3.437), as useradd accepts them.
            else if (!/^[a-z_][a-z0-9_-]{0,31}$/i.test(value)) ctx.addIssue({ code: 'custom', message: `${show(value)} is not a user name such as "nobody"` });
          })
          .nullable()
          .default(DEFAULT_RUN_AS),
        limits: z
          .strictObject(
            {
              connectionsPerPeer: count('simultaneous connections per peer address', 1_000).default(DEFAULT_LIMITS.connectionsPerPeer),
              connectionsPerPeerPerMinute: count('connections per peer address per minute', 100_000).default(DEFAULT_LIMITS.connectionsPerPeerPerMinute),
            },
            { error: typeError('an object: { "connectionsPerPeer": 5, "connectionsPerPeerPerMinute": 30 }') },
          )
          .prefault({}),
      },
      { error: typeError('a JSON object with "zone", "listen" and "dns"') },
    )
    .transform((config, ctx): PublicConfig => {
      const { zone } = config;
      const nameServer = config.dns.nameServer ?? `ns.${zone}`;
      if (config.dns.mode === 'delegated' && config.dns.listen === null) {
        ctx.addIssue({
          code: 'custom',
          path: ['dns', 'listen'],
          message: 'is missing: mode "delegated" needs the address the embedded DNS server answers on (port 53), the one the parent\'s glue record points to',
        });
      }
      if (config.dns.mode === 'external') {
        if (config.dns.listen !== null) {
          ctx.addIssue({ code: 'custom', path: ['dns', 'listen'], message: 'is only used with mode "delegated": remove it, or set dns.mode to "delegated"' });
        }
        // The zone file's SOA and NS must name a server that answers for the zone: here, the provider's.
        // One inside the zone would need an address record that nothing in this configuration can give.
        if (inZone(nameServer, zone)) {
          ctx.addIssue({
            code: 'custom',
            path: ['dns', 'nameServer'],
            message:
              config.dns.nameServer === undefined
                ? 'is missing: mode "external" needs your DNS provider\'s primary name server (e.g. "ns-1.awsdns-01.org") for the zone file\'s SOA and NS'
                : `${show(nameServer)} is inside the zone, where nothing answers in mode "external": give your DNS provider's primary name server`,
          });
        }
      }
      return {
        zone,
        listen: { addresses: config.listen.addresses, port: config.listen.port },
        dns: { mode: config.dns.mode, listen: config.dns.listen, nameServer },
        certificate: config.certificate,
        dataDir: config.dataDir,
        schedule: { stepLimit: config.schedule.stepLimit },
        runAs: config.runAs,
        naming: config.naming,
        limits: { connectionsPerPeer: config.limits.connectionsPerPeer, connectionsPerPeerPerMinute: config.limits.connectionsPerPeerPerMinute },
      };
    });
}
