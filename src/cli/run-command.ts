import { join, resolve } from 'node:path';
import type { RenderOptions } from '../report/renderer.js';
import { Option, type Command } from 'commander';
import { loadPublicConfig, profileAddressing, type PublicConfig } from '../config/public-config.js';
import { loadUserCertificate } from '../certs/user-certificate.js';
import { BadmxError } from '../errors.js';
import { loadCatalogue, selectProfiles, slotSpan } from '../profiles/catalogue.js';
import { withControl } from '../profiles/profile-role.js';
import { DEFAULT_SUBMIT_CONCURRENCY } from '../run/submit-probes.js';
import { applyPublicConfig } from './config-option.js';
import { loadPolicy } from '../policy/load-policy.js';
import { parseIP, parseIPv4, parsePort, type Addressing } from '../profiles/addressing.js';
import { jsonDocument } from '../report/json-document.js';
import { DEFAULT_RUN_FORMATS } from '../report/registry.js';
import { renderTerminalMatrix } from '../report/terminal-matrix.js';
import { DEFAULT_DNS, RunError, runMatrix, type RunOptions } from '../run/run-matrix.js';
import { JOURNAL_FILE, readJournal } from '../run/run-journal.js';
import type { Renderer } from '../report/renderer.js';
import type { RunDocument } from '../document/run-document.js';
import { parseSenderSpec } from '../sender-spec/parse-sender-spec.js';
import type { Sender } from '../senders/sender.js';
import { addFleetSelectionOptions, normalizeFleetSelection, type FleetSelectionFlags } from './common-options.js';
import { DATA_DEFAULT_TEXT, defaultDataDir, defaultPublicCertsDir, stampedName } from './user-dirs.js';
import { parseDuration } from '../text/duration.js';
import { addFormatOption, addRenderTextOptions, parseFormatOption, renderOptionsFrom, writeReports } from './format-option.js';
import { EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, runExitCode } from './exit-codes.js';
import { onBrokenPipe, outputGone } from './broken-pipe.js';
import { clockOf, onAbort, useColour, type CliContext } from './cli-io.js';
import { explainListenError } from './listen-hint.js';
import { progressPrinter } from './run-progress.js';
import { planSteps } from '../run/run-schedule.js';
import { replayJournal } from '../run/replay-journal.js';
import { addExamples, SENDER_FORMS } from './help-text.js';

interface RunFlags extends FleetSelectionFlags {
  sender: string[];
  format: string;
  policy: string;
  wait: string;
  out?: string;
  addressBase: string;
  port: string;
  portRange?: string;
  address: string;
  dns: string;
  sharedAddress?: string;
  serveDns?: boolean;
  resume?: string;
  config?: string;
  /** Set from --config: where the profiles listen (one shared address, or one each). */
  configAddressing?: Addressing;
  runAs?: string;
  submitConcurrency: string;
  quiet?: boolean;
  title?: string;
  subtitle?: string;
}

/** The options of `run`, and of `demo` (which has no --config: it runs on this machine only) with its own --wait default. */
export function addRunOptions(command: Command, options: { wait?: string; publicMode?: boolean } = {}): Command {
  const added = addRenderTextOptions(addFormatOption(addFleetSelectionOptions(command), DEFAULT_RUN_FORMATS))
    .option('--policy <name|file>', 'verdict policy: strict, opportunistic, mta-sts, or a policy JSON file', 'strict')
    .option('--wait <duration>', 'how long each sender gets for its probes to settle (a relay that queues and retries uses all of it)', options.wait ?? '60s')
    .option('--out <dir>', `run directory (default: <data>/run-<time>, where <data> is ${DATA_DEFAULT_TEXT})`)
    .option('--quiet', 'no progress on stderr (no receivers-ready, step, settled or heartbeat lines); warnings, errors, the matrix and the report paths still print')
    .option('--address-base <ip>', 'each profile listens on this address plus its slot', '127.0.2.0')
    .option('--port <port>', 'port every profile listens on', '25')
    .option('--port-range <first>', 'instead: all profiles on --address, profile N on port <first>+N-1')
    .option('--address <ip>', 'the single address for --port-range', '127.0.0.1')
    .option('--dns <ip>', 'serve the harness DNS here (port 53) for the whole run, for a relay you point at it; postfix:/exim: senders use it too', DEFAULT_DNS.address)
    .option('--submit-concurrency <n>', 'probes handed to one sender at once; failed submissions (no greeting, 4xx, reset) are retried until --wait', String(DEFAULT_SUBMIT_CONCURRENCY))
    .option('--shared-address <ip>', 'instead: every profile on this one address and --port, one at a time (a sequential schedule; --wait is then per step)')
    .option('--serve-dns', 'serve the zone on --dns (default 127.0.2.253) for the whole run (a relay you run, a zone delegated to this host), not only for managed senders');
  const config = new Option('--config <file>', 'public-mode configuration (JSON, e.g. /etc/badmx/badmx.json); flags given here win over it');
  // demo refuses --config with a line saying what to use instead; its help does not offer it.
  return added
    .addOption(options.publicMode === false ? config.hideHelp() : config)
    .option('--run-as <user>', 'when started as root: drop to this user once the receivers listen (or run unprivileged with CAP_NET_BIND_SERVICE)');
}

export function registerRunCommand(program: Command, context: CliContext): void {
  const run = addRunOptions(
    program
      .command('run')
      .description('send a probe through each sender to every receiver profile, classify what happened, and judge it against a policy')
      .option('--sender <spec...>', 'sender under test (repeat for a side-by-side comparison)')
      .option('--resume <dir>', 'continue the run in this directory after a crash, reboot or kill -9 (its other flags come from the run)'),
  );
  addExamples(
    run,
    [
      "badmx run --port 2525 --sender builtin:strict --sender 'smtp:127.0.0.1:587?tls=none&label=my-relay'",
      "badmx run --config /etc/badmx/badmx.json --sender 'smtp:email-smtp.eu-west-1.amazonaws.com:587?tls=starttls&user=AKIA…&label=ses'",
    ],
    SENDER_FORMS,
  ).action(async (given: RunFlags, command: Command) => {
    if (given.resume && given.sender) throw new BadmxError('--resume continues a run as it was planned: give no --sender with it', 'EUSAGE');
    if (!given.resume && !given.sender) throw new BadmxError("required option '--sender <spec...>' not specified (or --resume <dir>)", 'EUSAGE');
    const flags = given.config && !given.resume ? withPublicConfig(given, loadPublicConfig(given.config), command) : given;
    // --dns names where the harness DNS answers: a relay the user points there must find it answering.
    if (command.getOptionValueSource('dns') === 'cli') flags.serveDns = true;
    const document = flags.resume ? await executeResume(context, flags, flags.resume) : await executeRun(context, flags, flags.sender ?? []);
    // Cut short by a closed pipe, the exit says so (141), not a verdict nobody saw.
    if (context.exitCode !== EXIT_INTERRUPTED && !outputGone()) context.exitCode = runExitCode(document.summary);
  });
}

/**
 * `--config <file>`: the public configuration supplies what no flag says: zone and port
 * (applyPublicConfig), where the profiles listen (one shared address: a sequential
 * schedule; one each: all live), the delegated zone's DNS, the step limit and where runs live.
 */
function withPublicConfig(flags: RunFlags, config: PublicConfig, command: Command): RunFlags {
  const given = (key: string): boolean => ['cli', 'env'].includes(command.getOptionValueSource(key) ?? '');
  const out: RunFlags = applyPublicConfig(flags, config, command);
  if (!given('sharedAddress') && !given('addressBase') && !given('portRange')) {
    // The file's addresses, on the port the flags and file settled on (a --port given here wins).
    out.configAddressing = { ...profileAddressing(config, slotSpan(selectProfiles(loadCatalogue(resolve(flags.receivers)), undefined, flags.suite))), port: parsePort(out.port, '--port') };
  }
  if (config.dns.mode === 'external') out.withoutOwnDns = true;
  if (config.dns.mode === 'delegated' && config.dns.listen && !given('dns')) {
    out.dns = config.dns.listen;
    out.serveDns = true;
  }
  if (!given('wait')) out.wait = config.schedule.stepLimit;
  if (!given('naming')) out.naming = config.naming;
  if (config.certificate && !given('cert') && !given('key')) {
    out.cert = config.certificate.cert;
    out.key = config.certificate.key;
  }
  // runAs only means something when started as root (the systemd unit runs unprivileged with CAP_NET_BIND_SERVICE).
  if (config.runAs && !given('runAs') && process.getuid?.() === 0) out.runAs = config.runAs;
  if (!given('maxPerPeer')) out.maxPerPeer = String(config.limits.connectionsPerPeer);
  if (!given('maxPerPeerPerMinute')) out.maxPerPeerPerMinute = String(config.limits.connectionsPerPeerPerMinute);
  if (!given('certs')) out.certs = defaultPublicCertsDir(config.dataDir);
  if (!given('out')) out.out = join(config.dataDir, stampedName('run', new Date()));
  return out;
}

/** `--resume <dir>`: the plan comes from the run's journal; only --format comes from the flags. */
async function executeResume(context: CliContext, flags: RunFlags, dir: string): Promise<RunDocument> {
  const renderers = parseFormatOption(flags.format, { requireAvailable: true }).filter((r) => r.name !== jsonDocument.name);
  const outDir = resolve(dir);
  const state = readJournal(join(outDir, JOURNAL_FILE));
  const { plan } = state;
  // Secrets are not in the journal: a relay's password is read from its environment variable again.
  const senders = plan.senders.map((s) => parseSenderSpec(s.spec));
  if (!flags.quiet) context.io.stderr.write(`badmx: resuming run ${plan.runId} (started ${plan.startedAt}) in ${outDir}\n`);
  // The step the crash interrupted keeps its deadline (run-matrix.ts): the progress counts from its start.
  const steps = planSteps(plan.senders, plan.profiles, plan.addressing, plan.schedule ?? 'one-at-a-time');
  const replay = replayJournal(state, steps);
  const next = steps.find((step) => !replay.ended.has(step.key));
  const begun = next ? replay.begun.get(next.key) : undefined;
  return await performRun(
    context,
    {
      senders,
      policy: plan.policy,
      profiles: plan.profiles,
      zone: plan.zone,
      certsDir: plan.certsDir,
      addressing: plan.addressing,
      ...(plan.dns ? { dns: { address: plan.dns.address, port: plan.dns.port }, serveDns: plan.dns.serve } : {}),
      naming: plan.naming,
      // The certificate is read again (and checked again: it may have been renewed meanwhile).
      userCertificate: plan.certificate ? loadUserCertificate(plan.certificate) : null,
      ...(plan.limits ? { limits: plan.limits } : {}),
      ...(plan.runAs ? { runAs: plan.runAs } : {}),
      waitMs: plan.waitMs,
      outDir,
      resume: true,
    },
    renderers,
    { quiet: flags.quiet === true, startedAt: Date.parse(plan.startedAt), resumedStepStart: begun ? Date.parse(begun) : null, render: renderOptionsFrom(flags) },
  );
}

/** Shared by run and demo: options normalized, progress shown, matrix printed, run.json and the --format reports written. */
export async function executeRun(context: CliContext, flags: RunFlags, specs: string[]): Promise<RunDocument> {
  const selected = normalizeFleetSelection(flags, context.io.env);
  if (selected.leftOut.length > 0) context.io.stderr.write(`badmx: left out ${selected.leftOut.join(', ')}: the zone is at a DNS provider, which cannot publish them (docs/dane.md)\n`);
  // Every run probes a control per sender: without one, "refused" and "never got there" look alike.
  const { profiles, added } = withControl(selected.profiles, loadCatalogue(resolve(flags.receivers)));
  if (added && !flags.quiet) context.io.stderr.write(`badmx: added the control profile ${added.name}: every sender must deliver to a control for its refusals to count\n`);
  const selection = { ...selected, profiles };
  const submitConcurrency = parseCount(flags.submitConcurrency, '--submit-concurrency');
  const policy = loadPolicy(flags.policy);
  const waitMs = parseDuration(flags.wait, '--wait');
  // run.json is always written (by the run itself); the other formats are rendered from it afterwards.
  const renderers = parseFormatOption(flags.format, { requireAvailable: true }).filter((r) => r.name !== jsonDocument.name);
  if (flags.portRange && flags.sharedAddress) throw new BadmxError('--port-range and --shared-address are two different addressings: give one', 'EUSAGE');
  const addressing: Addressing = flags.configAddressing
    ? flags.configAddressing
    : flags.portRange
    ? { kind: 'port-range', address: parseIPv4(flags.address, '--address'), firstPort: parsePort(flags.portRange, '--port-range') }
    : flags.sharedAddress
      ? { kind: 'shared', address: parseIP(flags.sharedAddress, '--shared-address'), port: parsePort(flags.port, '--port') }
      : { kind: 'per-profile', base: parseIPv4(flags.addressBase, '--address-base'), port: parsePort(flags.port, '--port') };
  const senders: Sender[] = specs.map((spec) => parseSenderSpec(spec));
  const labels = senders.map((s) => s.label);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate) throw new BadmxError(`two senders are labelled "${duplicate}": give one a label=NAME`, 'EUSAGE');
  const outDir = resolve(flags.out ?? join(defaultDataDir(context.io.env), stampedName('run', new Date())));
  const dns = { address: parseIP(flags.dns, '--dns'), port: DEFAULT_DNS.port };
  return await performRun(
    context,
    {
      ...selection,
      senders,
      policy,
      waitMs,
      addressing,
      dns,
      serveDns: flags.serveDns === true,
      outDir,
      submitConcurrency,
      ...(flags.runAs ? { runAs: flags.runAs } : {}),
    },
    renderers,
    { quiet: flags.quiet === true, startedAt: clockOf(context.io).now(), resumedStepStart: null, render: renderOptionsFrom(flags) },
  );
}

function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw new BadmxError(`${flag} must be a whole number from 1 to 100, not "${value}"`, 'EUSAGE');
  return n;
}

/** Run (or resume) with progress on stderr, the matrix on stdout, and the reports written; Ctrl-C ends the wait. */
async function performRun(
  context: CliContext,
  options: Omit<RunOptions, 'onProgress' | 'signal'>,
  renderers: Renderer[],
  shown: { quiet: boolean; startedAt: number; resumedStepStart: number | null; render: RenderOptions },
): Promise<RunDocument> {
  const { io } = context;
  const outDir = options.outDir;
  const progress = progressPrinter({ stream: io.stderr, clock: clockOf(io), waitMs: options.waitMs, ...shown });
  // Ctrl-C ends the wait, not the run: what was recorded is classified and written, unsettled cells are marked.
  const abort = new AbortController();
  const quit = (): never => process.exit(EXIT_INTERRUPTED);
  const interrupt = (): void => {
    io.stderr.write('\nbadmx: interrupted; writing what was recorded (Ctrl-C again to quit at once)\n');
    abort.abort();
    process.once('SIGINT', quit);
  };
  process.once('SIGINT', interrupt);
  // The embedder's stop (main(argv, io) with a signal) is a Ctrl-C too, but a second one is its own business.
  const unlisten = onAbort(io, () => {
    if (abort.signal.aborted) return;
    io.stderr.write('\nbadmx: stopped; writing what was recorded\n');
    abort.abort();
  });
  // Nobody reads the output any more: stop waiting and write what was recorded, quietly (exit 141).
  const unregister = onBrokenPipe(() => abort.abort());
  try {
    const document = await runMatrix({ ...options, onProgress: progress, signal: abort.signal });
    progress.done();
    io.stdout.write(`${renderTerminalMatrix(document, { colour: useColour(io) })}\n\njson: ${join(outDir, jsonDocument.fileName)}\n`);
    // A report that fails to render is one line on stderr; the verdicts (and so the exit code) stand, and `badmx report` can retry it.
    await writeReports(io, document, renderers, outDir, shown.render);
    if (abort.signal.aborted) context.exitCode = EXIT_INTERRUPTED;
    return document;
  } catch (error) {
    progress.done();
    if (error instanceof RunError) {
      // What was recorded before the run stopped is still worth reading: render it, then report the error.
      await writeReports(io, error.document, renderers, outDir, shown.render);
      // The error keeps its cause's code: a setup problem found once the run began (a missing MTA, a port in use, credentials refused) is still exit 2; a relay that cannot be reached is a run that could not complete (4).
      const explained = explainListenError(error.cause, 'run');
      const message = explained instanceof Error && explained !== error.cause ? explained.message : error.message;
      throw new BadmxError(`${message} (recorded so far: ${join(outDir, 'run.json')})`, error.code, { cause: error });
    }
    // The fleet could not start (an address in use, or not on this machine): what to do about it.
    throw explainListenError(error, 'run');
  } finally {
    // Both Ctrl-C handlers go with the command: main(argv, io) leaves no listener on the process.
    process.off('SIGINT', interrupt);
    process.off('SIGINT', quit);
    unlisten();
    unregister();
    if (outputGone()) context.exitCode = EXIT_BROKEN_PIPE;
  }
}
