import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { beforeAll, describe, test, type TestContext } from 'vitest';
// The public API first: badmx/vitest is built on what 'badmx' exports.
import {
  BadmxError,
  BUILTIN_CATALOGUE,
  DEFAULT_ZONE,
  loadCatalogue,
  loadPolicy,
  parseSenderSpec,
  RunError,
  runMatrix,
  selectProfiles,
  isControlProfile,
  withControl,
  type Addressing,
  type Cell,
  type Policy,
  type PolicyRule,
  type Profile,
  type RunDocument,
  type RunOptions,
  type RunProgress,
  type Sender,
} from '../index.js';
// And the pieces the CLI shares with it: its defaults, the policy's schema, the reports' evidence lines.
import { policySchema } from '../policy/policy-schema.js';
import { DEFAULT_ADDRESSING } from '../profiles/addressing.js';
import { inconclusiveCause, outcomeHeadline } from '../report/cell-label.js';
import { cellEvidenceLines } from '../report/evidence-text.js';
import { describeResult, renderAll } from '../report/render-all.js';
import { selectRenderers } from '../report/registry.js';
import type { Renderer } from '../report/renderer.js';
import { DEFAULT_DNS } from '../run/run-matrix.js';

/**
 * `badmx/vitest`: a matrix as Vitest tests. One test per (sender, profile) cell, named
 * `<sender> × <profile>`, known when the file is collected; the matrix runs once, in the
 * suite's beforeAll; each test asserts its own cell as badmx judged it (src/policy): a
 * pass passes, a fail throws the cell's reason and what the receiver recorded, and an
 * inconclusive cell (one that was never actually tested) fails too, unless the suite asks
 * for it to be skipped. Nothing here judges anything itself.
 */

/** The profiles of the built-in catalogue (receivers/*.json): names the editor can complete. */
export type BuiltinProfileName =
  | 'no-starttls'
  | 'starttls-454'
  | 'handshake-failure'
  | 'tls1.0'
  | 'tls1.1'
  | 'tls1.2'
  | 'tls1.3'
  | 'self-signed'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-host'
  | 'untrusted-root'
  | 'incomplete-chain'
  | 'sts-enforce-valid'
  | 'sts-enforce-no-starttls'
  | 'sts-enforce-self-signed'
  | 'sts-enforce-expired'
  | 'sts-enforce-wrong-host'
  | 'sts-enforce-mx-mismatch'
  | 'sts-testing-self-signed'
  | 'sts-policy-unreachable'
  | 'sts-policy-bad-certificate'
  | 'sts-cached-downgrade'
  | 'dane-ee-valid'
  | 'dane-ee-self-signed'
  | 'dane-ee-expired'
  | 'dane-ta-valid'
  | 'dane-mismatch'
  | 'dane-no-starttls'
  | 'dane-bogus'
  | 'dane-unsigned'
  | 'rsa-1024'
  | 'dh-1024'
  | 'static-rsa'
  | 'cbc-only'
  | 'no-san'
  | 'wrong-eku'
  | 'sni-required'
  | 'expired-intermediate'
  | 'revoked'
  | 'starttls-221'
  | 'starttls-354'
  | 'starttls-421'
  | 'starttls-500'
  | 'starttls-501'
  | 'starttls-530'
  | 'starttls-220-plaintext'
  | 'ehlo-refused'
  | 'starttls-injection'
  | 'greeting-554'
  | 'starttls-220-no-transition'
  | 'starttls-second-ehlo'
  | 'sha1-signature';

/** A profile by name: a built-in one, or one of the catalogue given as `receivers`. */
export type ProfileName = BuiltinProfileName | (string & {});

/** What a sender must do at a profile, in the words of a policy rule (policies/*.json). */
export type Expectation =
  | PolicyRule['expect']
  | {
      expect: PolicyRule['expect'];
      /** With `delivered-tls`: the lowest TLS version that counts. */
      minVersion?: NonNullable<PolicyRule['minVersion']>;
      /** Why, as the cell's reason will say it. Default: the suite's name and the expectation. */
      because?: string;
    };

export interface MatrixOptions {
  /**
   * The senders under test: specs as `badmx run --sender` takes them (`smtp:HOST[:PORT][?…]`,
   * `postfix:may`, `builtin:strict`, …) or Sender objects. Each is one column of the matrix.
   */
  senders: readonly (string | Sender)[];
  /**
   * What each cell is judged against: a built-in policy name (`strict`, `opportunistic`), the
   * path of a policy JSON file, or a Policy. Default `strict`.
   */
  policy?: string | Policy;
  /**
   * Expectations for single profiles, in the policy's own terms (`delivered-tls`, `delivered`,
   * `not-delivered`). They are put in front of the policy's rules, so they win where they
   * apply and the policy decides everywhere else; badmx's own judging does the rest.
   */
  expect?: Readonly<Partial<Record<ProfileName, Expectation>>>;
  /**
   * The profiles to probe, by name. Default: the profiles named in `expect` when it is given,
   * else every profile of `suites`. A control profile (`tls1.2`) is added when none is selected: a
   * sender must deliver to a control for its refusals to count, and the control is a test too.
   */
  profiles?: readonly ProfileName[];
  /** Without `profiles` or `expect`: the suites to probe (`study`, `mta-sts`, `all`). Default: the study's. */
  suites?: readonly string[];
  /** The receiver catalogue: a directory of profile JSON files. Default: the built-in one. */
  receivers?: string;
  /** The zone the receivers are named in. Default `badmx.test`. */
  zone?: string;
  /**
   * The test PKI, generated on first use and then reused: the relay under test must trust its
   * `ca-bundle.pem` (`npx badmx ca --certs <this>` prints its path). Default
   * `node_modules/.cache/badmx/certs`, from the working directory.
   */
  certsDir?: string;
  /**
   * Where the receivers listen. Default: one address per profile from 127.0.2.1, port 25, as a
   * real MX does (root). `{ kind: 'port-range', address: '127.0.0.1', firstPort: 2525 }` runs
   * without root, for senders that are told where to deliver rather than finding it by MX.
   */
  addressing?: Addressing;
  /**
   * The harness DNS (port 53), which lets a relay find each receiver by MX: the address it
   * serves on, or false. Default `127.0.2.253` when the receivers listen on port 25 (where MX
   * delivery goes), else false. Start the relay with `badmx exec` so that it resolves there.
   */
  dns?: string | false;
  /** The run directory: run.json, events.jsonl, the stored messages and the reports. Default `reports/badmx/<suite name>`. */
  outDir?: string;
  /**
   * Reports written beside run.json (`badmx run --format` names: html, md, junit, svg, csv, png),
   * or false for none. Default `['html', 'md', 'junit']`.
   */
  reports?: readonly string[] | false;
  /** How long each sender's probes get to settle. Default 60 000 ms, as `badmx run --wait`. */
  waitMs?: number;
  /**
   * What an inconclusive cell (a probe that was never actually tested: the relay was unreachable,
   * refused it for a reason that is not TLS, or delivered to no control) does: `fail` (default),
   * or `skip`, with its cause as the skip note. It never passes. A run that could not complete
   * fails its untested cells either way.
   */
  inconclusive?: 'fail' | 'skip';
  /** Probes handed to one sender at once. Default 4. */
  submitConcurrency?: number;
  /** The run's progress (fleet ready, probes settled, …), as `badmx run` prints it. */
  onProgress?: (progress: RunProgress) => void;
}

/** One planned cell: its test's name, known before the run. */
export interface PlannedCell {
  sender: string;
  profile: string;
  name: string;
}

/** What describeMatrix returns: the plan at once, and the run document once the suite's beforeAll has run. */
export interface MatrixHandle {
  readonly cells: readonly PlannedCell[];
  /** The run directory, absolute. */
  readonly outDir: string;
  /** The run document (run.json); throws before the matrix has run. */
  readonly run: RunDocument;
}

/** Everything a matrix needs, resolved and checked from the options at collection time. */
export interface MatrixPlan {
  name: string;
  senders: Sender[];
  profiles: Profile[];
  /** The control profile added because the selection had none, or null. */
  addedControl: string | null;
  policy: Policy;
  cells: PlannedCell[];
  runOptions: Omit<RunOptions, 'signal' | 'onProgress'>;
  renderers: Renderer[];
  inconclusive: 'fail' | 'skip';
  /** When the run is told to stop waiting (it then writes what was recorded). */
  abortAfterMs: number;
  /** The beforeAll timeout: the run's budget and time to write its results. */
  hookTimeoutMs: number;
}

export const DEFAULT_CERTS_DIR = join('node_modules', '.cache', 'badmx', 'certs');
export const DEFAULT_REPORTS: readonly string[] = ['html', 'md', 'junit'];
export const DEFAULT_WAIT_MS = 60_000;
/** Starting the fleet (a cold PKI is generated first), checking the senders, classifying: on top of the senders' waits. */
const SETUP_MS = 60_000;
/** Between telling the run to stop waiting and Vitest's hook timeout: run.json and the reports are written. */
const WRITE_MS = 30_000;

/** The multiplication sign between sender and profile in a test's name. */
export const CELL_SEPARATOR = ' × ';

export function cellTestName(sender: string, profile: string): string {
  return `${sender}${CELL_SEPARATOR}${profile}`;
}

/** Resolve and check the options: every mistake (an unknown profile, a bad spec or policy) is an error here, before anything listens. */
export function planMatrix(name: string, options: MatrixOptions): MatrixPlan {
  // Checked for callers without types too.
  if (!options?.senders?.length) {
    throw new BadmxError(`describeMatrix("${name}"): senders must name at least one sender, e.g. ['smtp:localhost:587']`, 'EUSAGE');
  }
  const senders = options.senders.map((s) => (typeof s === 'string' ? parseSenderSpec(s) : s));
  const labels = senders.map((s) => s.label);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) throw new BadmxError(`describeMatrix("${name}"): two senders are labelled "${duplicate}": give one a label=NAME`, 'EUSAGE');

  const catalogue = loadCatalogue(options.receivers ? resolve(options.receivers) : BUILTIN_CATALOGUE);
  const expectations = Object.entries(options.expect ?? {}).filter((entry): entry is [string, Expectation] => entry[1] !== undefined);
  const named = [...(options.profiles ?? []), ...expectations.map(([profile]) => profile)];
  const selected = selectProfiles(catalogue, [...new Set(named)], options.suites);
  const { profiles, added } = withControl(selected, catalogue);

  const base = typeof options.policy === 'object' ? checkedPolicy(options.policy, name) : loadPolicy(options.policy ?? 'strict');
  const policy = withExpectations(base, expectations, name);

  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  if (!Number.isFinite(waitMs) || waitMs <= 0) throw new BadmxError(`describeMatrix("${name}"): waitMs must be a positive number of milliseconds`, 'EUSAGE');
  const addressing = options.addressing ?? DEFAULT_ADDRESSING;
  const dnsAddress = options.dns === undefined ? (listensOnPort25(addressing) ? DEFAULT_DNS.address : false) : options.dns;
  if (dnsAddress !== false && isIP(dnsAddress) === 0) throw new BadmxError(`describeMatrix("${name}"): dns must be an IP address or false, not "${String(dnsAddress)}"`, 'EUSAGE');
  const inconclusive = options.inconclusive ?? 'fail';
  if (inconclusive !== 'fail' && inconclusive !== 'skip') throw new BadmxError(`describeMatrix("${name}"): inconclusive must be 'fail' or 'skip', not "${String(inconclusive)}"`, 'EUSAGE');
  const renderers = options.reports === false ? [] : selectRenderers((options.reports ?? DEFAULT_REPORTS).join(','), 'reports').filter((r) => r.name !== 'json');
  for (const renderer of renderers) {
    const unavailable = renderer.unavailable?.() ?? null;
    if (unavailable) throw new BadmxError(`describeMatrix("${name}"): the ${renderer.name} report cannot be written here: ${unavailable}`, 'EUSAGE');
  }

  // One step per sender with every profile live; one per (sender, profile) on a shared address.
  const steps = addressing.kind === 'shared' ? senders.length * profiles.length : senders.length;
  const abortAfterMs = steps * waitMs + SETUP_MS;
  const outDir = resolve(options.outDir ?? join('reports', 'badmx', slug(name)));
  return {
    name,
    senders,
    profiles,
    addedControl: added?.name ?? null,
    policy,
    cells: senders.flatMap((sender) => profiles.map((profile) => ({ sender: sender.label, profile: profile.name, name: cellTestName(sender.label, profile.name) }))),
    runOptions: {
      senders,
      policy,
      profiles,
      zone: options.zone ?? DEFAULT_ZONE,
      certsDir: resolve(options.certsDir ?? DEFAULT_CERTS_DIR),
      addressing,
      outDir,
      waitMs,
      ...(dnsAddress ? { dns: { address: dnsAddress, port: DEFAULT_DNS.port }, serveDns: true } : {}),
      ...(options.submitConcurrency !== undefined ? { submitConcurrency: options.submitConcurrency } : {}),
    },
    renderers,
    inconclusive,
    abortAfterMs,
    hookTimeoutMs: abortAfterMs + WRITE_MS,
  };
}

function listensOnPort25(addressing: Addressing): boolean {
  return addressing.kind !== 'port-range' && addressing.port === 25;
}

function checkedPolicy(policy: Policy, name: string): Policy {
  const parsed = policySchema.safeParse(policy);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BadmxError(`describeMatrix("${name}"): policy: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`, 'EUSAGE');
}

/** The policy with one leading rule per expectation: first match wins, so each decides its own profile and the policy the rest. */
function withExpectations(base: Policy, expectations: [string, Expectation][], name: string): Policy {
  if (expectations.length === 0) return base;
  const rules = expectations.map(([profile, expectation]): PolicyRule => {
    const { expect, minVersion, because } = typeof expectation === 'string' ? { expect: expectation, minVersion: undefined, because: undefined } : expectation;
    return {
      when: { profiles: [profile] },
      expect,
      ...(minVersion ? { minVersion } : {}),
      because: because ?? defaultBecause(name, expect, minVersion, profile),
    };
  });
  return checkedPolicy(
    {
      name: `${base.name}-with-expectations`,
      title: `${base.title}; with the expectations of "${name}" for ${expectations.map(([profile]) => profile).join(', ')}`,
      rules: [...rules, ...base.rules],
    },
    name,
  );
}

function defaultBecause(name: string, expect: PolicyRule['expect'], minVersion: string | undefined, profile: string): string {
  switch (expect) {
    case 'not-delivered':
      return `"${name}" expects no delivery to ${profile}`;
    case 'delivered':
      return `"${name}" expects delivery to ${profile}`;
    case 'delivered-tls':
      return `"${name}" expects delivery over ${minVersion ? `${minVersion} or later` : 'TLS'} to ${profile}`;
    case 'no-plaintext':
      return `"${name}" expects delivery over ${minVersion ? `${minVersion} or later` : 'TLS'}, or none, to ${profile}`;
  }
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 64) || 'matrix'
  );
}

/** How one cell's test ends: what the verdict says, in a test's terms. */
export type CellResult =
  | { status: 'pass'; note: string | null }
  | { status: 'fail'; message: string }
  | { status: 'skip'; note: string };

/**
 * A cell as a test result. `pass` passes (with a note when the sender's wait ran out first, so
 * the pass is provisional); `fail` fails with the reason and the evidence; `inconclusive` fails
 * with its cause, or is skipped when the suite allows it. Never skipped, and an unsettled pass
 * fails too, when the run did not get its whole wait (it broke off, or was stopped: `cutShort`
 * when the suite's own timer stopped it), and never skipped at a control or when no control was
 * delivered: a relay that delivers nothing at all is the finding, not a cell to look past.
 */
export function cellResult(run: RunDocument, cell: Cell, options: { inconclusive: 'fail' | 'skip'; runDir: string; cutShort?: boolean }): CellResult {
  const profile = run.profiles.find((p) => p.name === cell.profile);
  const where = `run: ${join(options.runDir, 'run.json')}`;
  const stopped =
    run.run.status === 'error'
      ? `the run stopped early: ${run.run.error ?? 'unknown error'}`
      : run.run.status === 'interrupted' || options.cutShort
        ? 'the run was stopped before its wait was over (the suite ran out of time: raise waitMs or the hook timeout)'
        : null;
  if (cell.verdict === 'pass') {
    if (cell.settled) return { status: 'pass', note: null };
    if (!stopped) return { status: 'pass', note: `provisional: ${outcomeHeadline(cell)} when the deadline came (${cell.reason}); the sender might still have acted later` };
    return { status: 'fail', message: [`NOT WAITED FOR: ${outcomeHeadline(cell)} so far, but ${stopped}, so the sender might still deliver`, '', ...cellEvidenceLines(cell, profile), where].join('\n') };
  }
  const evidence = cellEvidenceLines(cell, profile);
  if (cell.verdict === 'fail') {
    const headline = `${outcomeHeadline(cell)}: ${cell.reason}${cell.settled ? '' : ' (unsettled: the deadline came first)'}`;
    return { status: 'fail', message: [headline, '', ...evidence, where].join('\n') };
  }
  const detail = cell.inconclusive?.detail ?? cell.reason;
  const headline = `INCONCLUSIVE (${inconclusiveCause(cell)}): ${detail}`;
  const diagnosis = run.senders.find((s) => s.label === cell.sender)?.diagnosis ?? null;
  const control = profile !== undefined && isControlProfile(profile);
  const skippable = !stopped && !control && cell.inconclusive?.cause !== 'no-control';
  if (options.inconclusive === 'skip' && skippable) return { status: 'skip', note: headline };
  const lines = [
    headline,
    'An inconclusive cell was not actually tested, so it is not a pass.',
    ...(stopped ? [stopped] : []),
    ...(control ? ['This is a control: a sender must deliver here for its refusals anywhere else to count.'] : []),
    ...(diagnosis && diagnosis !== detail ? [`sender: ${diagnosis}`] : []),
    '',
    ...evidence,
    where,
  ];
  return { status: 'fail', message: lines.join('\n') };
}

/** The error a failing cell throws: the reason first, then the evidence, and no stack (the evidence is the trace). */
export class MatrixCellError extends Error {
  readonly cell: Cell;
  constructor(message: string, cell: Cell) {
    super(message);
    this.name = 'MatrixCellError';
    this.cell = cell;
    withoutFrames(this);
  }
}

/**
 * Describe a matrix as a Vitest suite: one test per (sender, profile), named `<sender> × <profile>`.
 * The matrix runs once, in the suite's beforeAll (its timeout is the senders' waits plus setup);
 * each test then asserts its cell. Call it at the top level of a test file, or inside a describe.
 */
export function describeMatrix(name: string, options: MatrixOptions): MatrixHandle {
  const plan = planMatrix(name, options);
  let run: RunDocument | null = null;
  let cutShort = false;
  const handle: MatrixHandle = {
    cells: plan.cells,
    outDir: plan.runOptions.outDir,
    get run(): RunDocument {
      if (!run) throw new Error(`describeMatrix("${name}"): the matrix has not run yet (it runs in the suite's beforeAll)`);
      return run;
    },
  };

  // Why the matrix could not run at all (a port in use, no root, a missing MTA): every cell fails with it.
  let setupError: Error | null = null;

  describe(name, () => {
    beforeAll(async () => {
      try {
        ({ document: run, cutShort } = await runPlannedMatrix(plan, options.onProgress));
      } catch (error) {
        // Not the hook's failure (Vitest would report the cells as skipped): each cell's, as a failed test.
        setupError = error instanceof Error ? error : new Error(String(error));
      }
    }, plan.hookTimeoutMs);

    for (const planned of plan.cells) {
      test(planned.name, async (context: TestContext) => {
        if (setupError) throw withoutFrames(new Error(`the matrix could not run, so ${planned.name} was not tested: ${setupError.message}`, { cause: setupError }));
        if (!run) throw new Error(`describeMatrix("${name}"): no run document: the matrix did not run`);
        const cell = run.cells.find((c) => c.sender === planned.sender && c.profile === planned.profile);
        if (!cell) throw new Error(`describeMatrix("${name}"): the run has no cell for ${planned.name}`);
        const result = cellResult(run, cell, { inconclusive: plan.inconclusive, runDir: plan.runOptions.outDir, cutShort });
        if (result.status === 'fail') throw new MatrixCellError(result.message, cell);
        if (result.status === 'skip') context.skip(result.note);
        if (result.note) await context.annotate(result.note, 'notice');
      });
    }
  });
  return handle;
}

/** An error whose message is the whole story: its frames would point into badmx, not into the test. */
function withoutFrames<E extends Error>(error: E): E {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** The run itself: told to stop waiting before the hook's timeout, so run.json and the reports are always written. */
async function runPlannedMatrix(plan: MatrixPlan, onProgress: ((progress: RunProgress) => void) | undefined): Promise<{ document: RunDocument; cutShort: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), plan.abortAfterMs);
  let document: RunDocument;
  try {
    document = await runMatrix({ ...plan.runOptions, signal: abort.signal, ...(onProgress ? { onProgress } : {}) });
  } catch (error) {
    // A run that broke off still wrote what it recorded: its cells say what was (not) tested.
    if (!(error instanceof RunError)) throw error;
    document = error.document;
  } finally {
    clearTimeout(timer);
  }
  if (plan.renderers.length > 0) {
    const failed = (await renderAll(document, plan.renderers, plan.runOptions.outDir)).filter((r) => !r.ok);
    // The verdicts stand; a report that could not be written is said, not hidden.
    for (const result of failed) console.warn(`badmx: ${describeResult(result)}`);
  }
  return { document, cutShort: abort.signal.aborted };
}
