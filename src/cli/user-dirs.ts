import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../config/public-config.js';
import { BadmxError } from '../errors.js';
import { JOURNAL_FILE } from '../run/run-journal.js';

/**
 * Where badmx keeps what it makes when the user does not say: never the directory it is
 * run from. Two places, after the XDG Base Directory Specification (0.8): the test PKI is
 * a cache (it can be made again), the runs are the user's data (evidence to keep).
 *
 *   <cache>/certs/            the test PKI and the harness zone's DNSSEC key
 *   <data>/run-<time>/        a run: run.json, events.jsonl, messages/, the reports
 *   <data>/serve-<time>/      `badmx serve`'s event log and messages
 *   <data>/compare-<time>/    `badmx report --compare`'s pages
 *
 * The data layout is public mode's (`dataDir`, /var/lib/badmx for the systemd unit), so a
 * run made either way is found, listed and resumed the same way.
 */
type Env = Readonly<Record<string, string | undefined>>;
interface Where {
  cwd?: string;
  uid?: number | undefined;
}

/** The default of --certs, as --help says it. */
export const CERTS_DEFAULT_TEXT = '$BADMX_CACHE/certs; else ./certs if an earlier badmx made a PKI there; else $XDG_CACHE_HOME/badmx/certs, /var/cache/badmx/certs as root, or ~/.cache/badmx/certs';

/** Where runs go without --out (and serve's log without --events), as --help says it. */
export const DATA_DEFAULT_TEXT = '$XDG_DATA_HOME/badmx, /var/lib/badmx as root, or ~/.local/share/badmx';

/**
 * Where the test PKI (and the zone's DNSSEC key) lives without --certs. In order:
 * - `$BADMX_CACHE/certs` (BADMX_CACHE is where the harness scripts put everything: the MTAs, Node);
 * - `./certs`, when it already holds a PKI (`pki.json`) that an earlier badmx made there
 *   (whose default was `certs` in the working directory): a relay configured to trust its
 *   root, and a DS published for its zone key, keep working;
 * - `$XDG_CACHE_HOME/badmx/certs` when XDG_CACHE_HOME is an absolute path (the XDG rule);
 * - as root, `/var/cache/badmx/certs`, beside what the harness scripts install there;
 * - `~/.cache/badmx/certs`.
 * Public mode (--config) uses `<dataDir>/certs` instead (defaultPublicCertsDir).
 */
export function defaultCertsDir(env: Env, options: Where = {}): string {
  const cwd = options.cwd ?? process.cwd();
  if (env.BADMX_CACHE) return resolve(cwd, env.BADMX_CACHE, 'certs');
  const legacy = join(cwd, 'certs');
  if (existsSync(join(legacy, 'pki.json'))) return legacy;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'badmx', 'certs');
  if (uidOf(options) === 0) return '/var/cache/badmx/certs';
  return join(homeOf(env), '.cache', 'badmx', 'certs');
}

/** Public mode without --certs: beside its runs, in the configuration's dataDir (/var/lib/badmx/certs for the systemd unit), so `badmx zone` and `badmx run` find the same DNSSEC key from any directory. */
export function defaultPublicCertsDir(dataDir: string): string {
  return join(dataDir, 'certs');
}

/**
 * Where runs are kept without --out: `$XDG_DATA_HOME/badmx` when XDG_DATA_HOME is an
 * absolute path; as root `/var/lib/badmx` (public mode's default dataDir, the same layout);
 * else `~/.local/share/badmx`.
 */
export function defaultDataDir(env: Env, options: Where = {}): string {
  if (env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME)) return join(env.XDG_DATA_HOME, 'badmx');
  if (uidOf(options) === 0) return DEFAULT_DATA_DIR;
  return join(homeOf(env), '.local', 'share', 'badmx');
}

/** A directory name for something that starts now: `run-2026-11-30T23-04-56Z` (no colons: they are awkward in paths on some systems and in scp). */
export function stampedName(kind: 'run' | 'serve' | 'compare', date: Date): string {
  return `${kind}-${date.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}`;
}

/** The newest run in the data directory, for `badmx status` and `badmx report` with no directory given; a clear error when there is none. */
export function newestRunOrExplain(env: Env, what: string): string {
  const data = defaultDataDir(env);
  const newest = newestRunDir(data);
  if (newest === null) throw new BadmxError(`no run in ${data} (runs made with --out are wherever --out said): give ${what}`, 'EUSAGE');
  return newest;
}

/**
 * The newest `run-<time>` directory in a data directory that holds a run journal, or null.
 * The names sort by time; the journal tells a run from a stray directory.
 */
export function newestRunDir(dataDir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return null;
  }
  const runs = names
    .filter((name) => /^run-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/.test(name))
    .sort()
    .reverse();
  for (const name of runs) {
    const dir = join(dataDir, name);
    try {
      if (statSync(join(dir, JOURNAL_FILE)).isFile()) return dir;
    } catch {
      // not a run (yet): try the one before
    }
  }
  return null;
}

function uidOf(options: Where): number | undefined {
  return 'uid' in options ? options.uid : process.getuid?.();
}

function homeOf(env: Env): string {
  return env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
}
