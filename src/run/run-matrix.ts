import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { isDeliveryOf } from '../classify/classify-probe.js';
import { startDnsServer, type DnsQueryRecord, type DnsServer } from '../dns/dns-server.js';
import { dsPresentation, ensureZoneKey } from '../dns/dnssec.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import type { Policy } from '../policy/policy-schema.js';
import { makeProbe, newRunId, probeMessage, type Probe } from '../probes/probe.js';
import type { UserCertificate } from '../certs/user-certificate.js';
import { listenAddress, type Addressing } from '../profiles/addressing.js';
import type { ReceiverLimits } from '../receivers/limits.js';
import { DEFAULT_NAMING, profileNames, tlsaName, type Naming } from '../profiles/naming.js';
import { startFleet, type Fleet } from '../receivers/fleet.js';
import { stsPublication, TLSRPT_MAILBOX } from '../profiles/mta-sts-policy.js';
import { readTlsReportFile } from '../tlsrpt/read-tlsrpt-file.js';
import { summarizeTlsReports } from '../tlsrpt/summarize-tlsrpt.js';
import { phaseCount } from '../profiles/profile-phases.js';
import { mailboxNames, mailboxPublishedAddress } from '../profiles/mailbox.js';
import { isControlProfile } from '../profiles/profile-role.js';
import type { Profile } from '../profiles/profile-schema.js';
import { readEventLog } from '../recorder/event-log.js';
import type { ReceiverEvent } from '../recorder/events.js';
import { bounceEvidence, bounceProbes, isMailboxDelivery, readBounce } from './bounce-evidence.js';
import { harnessZone, type ZoneSource } from './harness-zone.js';
import { revocationPublication } from '../profiles/revocation.js';
import { DEFAULT_SUBMIT_CONCURRENCY, submitProbes } from './submit-probes.js';
import { RUN_DOCUMENT_FILE, serializeRunDocument } from '../document/serialize-run-document.js';
import type { SendResult, Sender } from '../senders/sender.js';
import type { RunDocument } from '../document/run-document.js';
import { judgeRun, retryModelSpan } from './judge-run.js';
import { readRecordedFacts } from './recorded-facts.js';
import { replayJournal } from './replay-journal.js';
import { JOURNAL_FILE, readJournal, RunJournal, type JournalState, type RunPlan } from './run-journal.js';
import { claimRunDirectory } from './run-owner.js';
import { planSteps, type Step, type StepWindow } from './run-schedule.js';
import { SettleTracker } from './settle-tracker.js';

export interface RunOptions {
  senders: Sender[];
  policy: Policy;
  profiles: Profile[];
  zone: string;
  certsDir: string;
  addressing: Addressing;
  /** Profile naming (default nested; flat for one *.<zone> certificate in public mode). */
  naming?: Naming;
  /** The operator's publicly trusted certificate (--cert/--key), served where it fits. */
  userCertificate?: UserCertificate | null;
  limits?: Partial<ReceiverLimits>;
  /** The run directory: events.jsonl, messages/ and run.json go here. */
  outDir: string;
  /** How long each sender gets for its probes to settle. */
  waitMs: number;
  onProgress?: (progress: RunProgress) => void;
  /**
   * Where the harness DNS server listens when a sender finds receivers by MX (postfix:,
   * exim:). Port 53: resolv.conf has no port syntax.
   */
  dns?: { address: string; port: number };
  /** Serve the harness DNS for the whole run even without managed senders (public mode, delegated zone). */
  serveDns?: boolean;
  /**
   * Drop root to this user once the receivers listen (public mode). Not with managed
   * senders, which start MTAs as root during the run.
   */
  runAs?: string | null;
  /** Continue the run whose directory is outDir (its journal says what was done). */
  resume?: boolean;
  /** Stop waiting (e.g. on SIGINT): what was recorded is classified and written, unsettled cells say so. */
  signal?: AbortSignal;
  /** Probes handed to one sender at once (default 4); transient failures are retried within the deadline. */
  submitConcurrency?: number;
  /** Waits before each submission retry (default 0.5 s, 1 s, 2 s, 4 s, 8 s, then 8 s). */
  submitBackoffMs?: readonly number[];
}

export type RunProgress =
  | { kind: 'fleet-ready'; fleet: Fleet }
  | { kind: 'sender-start'; sender: string; probes: number }
  | { kind: 'probe-settled'; sender: string; profile: string; settled: number; total: number }
  | { kind: 'submission-refused'; sender: string; profile: string; detail: string }
  /** A submission failed transiently and is tried again after `inMs`. */
  | { kind: 'submission-retry'; sender: string; profile: string; attempt: number; detail: string }
  /** No control probe of the sender was delivered and all are settled: its step ends early (its refusals would prove nothing). */
  | { kind: 'no-control'; sender: string }
  | { kind: 'sender-done'; sender: string; settled: number; total: number; timedOut: boolean }
  /** The harness DNS server answers (only when a sender finds receivers by MX). */
  | { kind: 'dns-ready'; address: string; port: number }
  /** Every sender is done and stopped; what follows is classification and run.json. */
  | { kind: 'senders-done' }
  /** Sequential schedule: a profile is now the one live on the shared address. */
  | { kind: 'step-start'; sender: string; profile: string; index: number; total: number }
  /** A TLS report (RFC 8460) arrived, by mail or by HTTPS POST: who says what, in one line (or why it is not a valid report). */
  | { kind: 'tls-report'; via: 'mail' | 'https'; summary: string };

/** Thrown when a run could not be completed; `document` is what was written to run.json. */
export class RunError extends BadmxError {
  readonly document: RunDocument;
  /** Its code is its cause's (a missing MTA is still a setup problem), else EFAILED: the run could not complete. */
  constructor(message: string, document: RunDocument, options?: ErrorOptions) {
    super(message, options?.cause instanceof BadmxError ? options.cause.code : 'EFAILED', options);
    this.name = 'RunError';
    this.document = document;
  }
}

/**
 * Run the matrix: start the fleet, send one probe per (sender, profile) through each
 * sender in turn, wait until every probe is settled or the step's deadline, then classify
 * what the receivers recorded and judge it against the policy. Writes run.json.
 *
 * The run is a schedule of steps (run-schedule.ts): one per sender with every profile
 * live, or, on a single shared address, one per (sender, profile) with only that profile
 * live. Each step's start and end, each submission and each sender's final word go to the
 * run journal as they happen, so `resume` continues a crashed run from its directory.
 */
export async function runMatrix(options: RunOptions): Promise<RunDocument> {
  const outDir = resolve(options.outDir);
  // Owner-only when badmx makes it: run.json and the reports quote what senders sent.
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const journalFile = join(outDir, JOURNAL_FILE);
  const state = options.resume ? readJournal(journalFile) : null;
  const owner = claimRunDirectory(outDir);
  try {
    return await runClaimed(options, outDir, journalFile, state);
  } finally {
    owner.release();
  }
}

async function runClaimed(options: RunOptions, outDir: string, journalFile: string, state: JournalState | null): Promise<RunDocument> {
  const runId = state?.plan.runId ?? newRunId();
  const startedAt = state?.plan.startedAt ?? new Date().toISOString();
  const probes: Probe[] = state?.plan.probes ?? planProbes(runId, options);
  if (options.runAs && options.senders.some((sender) => sender.needsDns)) {
    throw new BadmxError('--run-as cannot be used with postfix:/exim: senders: badmx starts those MTAs as root during the run', 'EUSAGE');
  }
  const journal = new RunJournal(journalFile, { fresh: !state });
  const resumedAt = state ? new Date().toISOString() : null;
  if (resumedAt) journal.append({ type: 'resumed', at: resumedAt });
  else journal.append({ type: 'plan', at: startedAt, plan: runPlan(runId, startedAt, probes, options) });

  // The harness DNS binds port 53 before the fleet starts, because the fleet drops root
  // (--run-as) once its own listeners are bound; its zone is known from the plan alone.
  let dns: HarnessDns | null = null;
  let fleet: Fleet;
  try {
    dns = await startHarnessDns(options, plannedZone(options));
    fleet = await startFleet({
      profiles: options.profiles,
      zone: options.zone,
      certsDir: options.certsDir,
      addressing: options.addressing,
      eventsFile: join(outDir, 'events.jsonl'),
      ...(options.naming ? { naming: options.naming } : {}),
      ...(options.userCertificate ? { userCertificate: options.userCertificate } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      // Only what this run writes is handed over (not a tree that --out happened to point into).
      ...(options.runAs ? { runAs: options.runAs, writable: { dirs: [], files: [outDir, journalFile] } } : {}),
    });
  } catch (error) {
    await dns?.server.stop();
    journal.close();
    throw error;
  }
  // The zone as the fleet serves it: the TLSA records (DANE) are computed from the certificates
  // it serves, known only now. Nothing was sent before this: no sender has asked yet.
  dns?.server.setZone(harnessZone({ zone: fleet.zone, members: fleet.members, mailbox: fleet.mailbox }, dns.server.address, null));
  if (dns) dns.sink = logTlsaQueries(fleet);
  options.onProgress?.({ kind: 'fleet-ready', fleet });
  // Where each profile listens and what it serves: for `badmx status` without a fleet.
  journal.append({ type: 'fleet', at: new Date().toISOString(), members: fleet.members });

  // What a crashed run had already done: submissions (never repeated), final words, steps over.
  // A run planned by an earlier badmx is resumed as it was planned: one sender at a time.
  const steps = planSteps(options.senders, options.profiles, options.addressing, state ? (state.plan.schedule ?? 'one-at-a-time') : 'concurrent');
  const replay = replayJournal(state, steps);
  const { results, submitted } = replay;
  const past = state ? readEventLog(fleet.eventsFile).events.filter((e) => e.time >= startedAt) : [];
  // A crash between handing a probe over and journaling the answer: if the receivers saw the
  // probe, the sender took it, and it is never sent again (a second delivery would be evidence of
  // nothing but the crash); if nothing shows that it did, it is sent again.
  for (const id of state?.submitting ?? []) {
    const probe = probes.find((p) => p.id === id);
    const seen = probe ? receiversSaw(past, probe) : null;
    // A built-in sender ran inside the process that died: a probe it had only begun (named in
    // MAIL or RCPT, not delivered) died with it, and nothing else will deliver it: send it again.
    const inProcess = options.senders.find((s) => s.label === probe?.sender)?.kind === 'builtin';
    if (!probe || !seen || (inProcess && seen !== 'delivered')) continue;
    const result: SendResult = {
      accepted: true,
      final: seen === 'delivered',
      detail: `taken before the run was interrupted: the receivers ${seen === 'delivered' ? 'hold its delivery' : 'saw it named'}; not sent again`,
    };
    results.set(id, result);
    submitted.add(id);
    const at = new Date().toISOString();
    replay.submittedAt.set(id, at);
    journal.append({ type: 'submitted', at, probe: id, result });
  }
  const profileByName = new Map(options.profiles.map((p) => [p.name, p]));
  // Within a step, the controls are submitted first (policy/diagnose-sender.ts).
  const controlsFirst = (list: Probe[]): Probe[] => [
    ...list.filter((p) => isControl(profileByName.get(p.profile))),
    ...list.filter((p) => !isControl(profileByName.get(p.profile))),
  ];
  const windows: StepWindow[] = [];
  let error: Error | null = null;
  // On a resume, senders whose steps are all over are not started again (a managed MTA would
  // overwrite its log; a relay that is down now must not block finished work).
  const active = options.senders.filter((sender) => steps.some((step) => step.senders.includes(sender) && !replay.ended.has(step.key)));
  const closed = new Set<Sender>(options.senders.filter((sender) => !active.includes(sender)));
  let interrupted = false;
  const stepContext: StepContext = { options, fleet, results, submitted, submittedAt: replay.submittedAt, journal, past, dns: dns?.server ?? null, dnsQueries: () => dns?.queries() ?? null };
  try {
    await prepareSenders(active, fleet, outDir, dns?.server ?? null, state ? state.resumes.length + 1 : 0, dns?.trustAnchor ?? null);
    // Every sender must be usable before any probe goes out: a bad spec or relay fails in seconds,
    // not after a run. Checked side by side (a managed MTA starts in its check), the first failure reported.
    // Every check ends before any failure is reported: an MTA still starting could not be stopped.
    const checked = await Promise.allSettled(active.map((sender) => sender.check()));
    const failed = checked.find((result) => result.status === 'rejected');
    if (failed) throw (failed).reason as Error;
    // Which address each sender's own validating resolver asks from: its TLSA queries are known by it.
    for (const sender of active) {
      if (sender.resolverAddress) fleet.log.append({ type: 'sender-resolver', profile: '', conn: '', sender: sender.label, address: sender.resolverAddress });
    }
    for (const [index, step] of steps.entries()) {
      const ended = replay.ended.get(step.key);
      const begun = replay.begun.get(step.key);
      // Senders with no step after this one: stopped when it ends.
      const last = step.senders.filter((sender) => !steps.slice(index + 1).some((s) => s.senders.includes(sender)));
      const close = async (list: readonly Sender[]): Promise<void> => {
        const open = list.filter((sender) => !closed.has(sender));
        for (const sender of open) closed.add(sender);
        await Promise.all(open.map((sender) => sender.close().catch(() => undefined)));
      };
      if (ended) {
        windows.push(...ended);
      } else {
        if (options.signal?.aborted) break;
        const start = begun ?? new Date().toISOString();
        if (!begun) journal.append({ type: 'step-start', at: start, step: step.key });
        interrupted = true;
        const own = probes.filter((p) => step.senders.some((sender) => sender.label === p.sender) && step.profiles.includes(p.profile) && (p.phase ?? 1) === (step.phase ?? 1));
        const queriesBefore = stepContext.dnsQueries();
        const settled = await runStep(stepContext, step, controlsFirst(own), Date.parse(start) + options.waitMs, { index, total: steps.length });
        const queriesAfter = stepContext.dnsQueries();
        const dnsQueries = queriesBefore === null || queriesAfter === null ? null : queriesAfter - queriesBefore;
        // A step cut short by Ctrl-C is not over: --resume continues it.
        const aborted = options.signal?.aborted === true;
        // Stop each sender after its last step: a managed MTA still retrying would otherwise
        // reach the receivers after its window, where its attempts are nobody's.
        await close(aborted ? step.senders : last);
        // The window lasts until the sender is stopped, so a retry that raced the stop is still its own.
        const end = new Date().toISOString();
        if (!aborted) {
          journal.append({ type: 'step-end', at: end, step: step.key, settled, dnsQueries });
          interrupted = false;
        }
        windows.push(...step.senders.map((sender) => ({ sender: sender.label, profiles: step.covers ?? step.profiles, start, end, settled, dnsQueries, ...(step.phase === undefined ? {} : { phase: step.phase }) })));
        if (aborted) break;
        continue;
      }
      await close(last);
    }
  } catch (caught) {
    error = caught as Error;
  } finally {
    await Promise.allSettled(options.senders.filter((sender) => !closed.has(sender)).map((sender) => sender.close()));
    await dns?.server.stop();
    await fleet.stop();
    journal.close();
  }

  options.onProgress?.({ kind: 'senders-done' });
  const document = judgeRun({
    plan: {
      runId,
      startedAt,
      senders: options.senders,
      policy: options.policy,
      profiles: options.profiles,
      zone: options.zone,
      waitMs: options.waitMs,
      addressing: options.addressing,
      probes,
      schedule: state ? (state.plan.schedule ?? 'one-at-a-time') : 'concurrent',
    },
    members: fleet.members,
    caFile: fleet.caFile,
    mailboxDomain: fleet.mailbox.domain,
    dns: dns ? dns.server.address : null,
    facts: readRecordedFacts({ eventsFile: fleet.eventsFile, startedAt, probes, mailboxDomain: fleet.mailbox.domain }),
    results,
    submittedAt: replay.submittedAt,
    windows,
    resumes: [...replay.resumes, ...(resumedAt ? [resumedAt] : [])],
    // A step that broke off with an error is an error, not an interruption.
    ...(interrupted && !error ? { status: 'interrupted' as const } : {}),
    error: error ? error.message : null,
    finishedAt: new Date().toISOString(),
  });
  writeAtomic(join(outDir, RUN_DOCUMENT_FILE), serializeRunDocument(document));
  if (error) throw new RunError(error.message, document, { cause: error });
  return document;
}

/** One probe per (sender, profile), numbered sender by sender: the plan a resumed run keeps. */
function planProbes(runId: string, options: RunOptions): Probe[] {
  let n = 0;
  const naming = options.naming ?? DEFAULT_NAMING;
  const domain = (profile: Profile): string => profileNames(profile, options.zone, naming).domain;
  const first = options.senders.flatMap((sender) => options.profiles.map((profile) => makeProbe(runId, ++n, sender.label, profile.name, options.zone, domain(profile))));
  // A multi-phase profile gets one more probe per sender for each later phase, numbered after the rest.
  const later = options.profiles.flatMap((profile) =>
    Array.from({ length: phaseCount(profile) - 1 }, (_, i) =>
      options.senders.map((sender) => ({ ...makeProbe(runId, ++n, sender.label, profile.name, options.zone, domain(profile)), phase: i + 2 })),
    ).flat(),
  );
  return [...first, ...later];
}

function runPlan(runId: string, startedAt: string, probes: Probe[], options: RunOptions): RunPlan {
  return {
    runId,
    startedAt,
    senders: options.senders.map((s) => ({ spec: s.spec, label: s.label, kind: s.kind, notes: s.notes, retries: s.retries ?? null })),
    policy: options.policy,
    profiles: options.profiles,
    zone: options.zone,
    certsDir: options.certsDir,
    addressing: options.addressing,
    dns: options.dns ? { ...options.dns, serve: options.serveDns === true } : null,
    naming: options.naming ?? DEFAULT_NAMING,
    certificate: options.userCertificate ? { cert: options.userCertificate.certFile, key: options.userCertificate.keyFile } : null,
    limits: options.limits ?? null,
    runAs: options.runAs ?? null,
    waitMs: options.waitMs,
    probes,
    schedule: 'concurrent',
  };
}

export const DEFAULT_DNS = { address: '127.0.2.253', port: 53 } as const;

/** The fleet's names and addresses as the plan says they will be: what the zone publishes. */
function plannedZone(options: RunOptions): ZoneSource {
  const naming = options.naming ?? DEFAULT_NAMING;
  return {
    zone: options.zone,
    members: options.profiles.map((profile) => {
      const names = profileNames(profile, options.zone, naming);
      const { address } = listenAddress(options.addressing, profile.slot);
      return { name: profile.name, title: profile.title, ...names, address, sts: stsPublication(profile.mtaSts, names, address), revocation: revocationPublication(profile.certificate, names, address) };
    }),
    mailbox: { ...mailboxNames(options.zone, naming), address: mailboxPublishedAddress(options.addressing) },
  };
}

/** The harness DNS server and a count of the in-zone questions it answered (the diagnosis reads it per step). */
interface HarnessDns {
  server: DnsServer;
  queries(): number;
  source: ZoneSource;
  /** Where each query goes once the fleet's log is open (TLSA queries are evidence: logTlsaQueries). */
  sink: ((query: DnsQueryRecord) => void) | null;
  /** The zone's DS, the trust anchor of the senders' own validating resolvers (read before the fleet may drop root). */
  trustAnchor: string;
}

/** At most this many TLSA queries are logged per run: evidence, bounded (a resolver retrying in a loop adds nothing after that). */
const MAX_LOGGED_DNS_QUERIES = 5_000;

/**
 * Log each TLSA query for a profile's MX host (RFC 7672 §2.2.3) as a `dns-query` event of that
 * profile: whether a sender looked for a DANE profile's records is evidence (classify/tlsa-queries.ts).
 */
function logTlsaQueries(fleet: Fleet): (query: DnsQueryRecord) => void {
  const byName = new Map(fleet.members.map((m) => [tlsaName(m.hostname).toLowerCase(), m.name]));
  let logged = 0;
  return (query) => {
    if (query.type !== 'TLSA' || logged >= MAX_LOGGED_DNS_QUERIES) return;
    const profile = byName.get(query.name.toLowerCase().replace(/\.$/, ''));
    if (profile === undefined) return;
    logged++;
    fleet.log.append({ type: 'dns-query', profile, conn: '', peer: query.peer, name: query.name, qtype: query.type, rcode: query.rcode });
  };
}

/**
 * The harness DNS server, serving the fleet's zone: for senders that find receivers by MX
 * (postfix:, exim:), for a relay the user runs (--serve-dns, or --dns given), and in public
 * mode when the zone is delegated to this host.
 */
async function startHarnessDns(options: RunOptions, source: ZoneSource): Promise<HarnessDns | null> {
  const needing = options.senders.filter((sender) => sender.needsDns);
  if (needing.length === 0 && !options.serveDns) return null;
  if (needing.length > 0 && (options.addressing.kind === 'port-range' || options.addressing.port !== 25)) {
    const names = needing.map((s) => s.spec).join(', ');
    throw new BadmxError(`${names} deliver by MX to port 25 of each receiver: run without --port and --port-range (as root)`, 'EUSAGE');
  }
  const where = options.dns ?? DEFAULT_DNS;
  let answered = 0;
  const key = ensureZoneKey(options.certsDir, options.zone);
  const server = await startDnsServer({
    zone: harnessZone(source, where.address, null),
    // Signed (DNSSEC): a validating resolver sees the zone secure once given its DS; answers to
    // queries without the DO bit are as they were (dns-server.ts).
    dnssec: { key },
    address: where.address,
    port: where.port,
    // What a sender looked up is evidence that its resolver reaches the harness (diagnose-sender.ts).
    onQuery: (query) => {
      if (query.rcode === 'NOERROR' || query.rcode === 'NXDOMAIN' || query.rcode === 'SERVFAIL') answered++;
      harness.sink?.(query);
    },
  });
  options.onProgress?.({ kind: 'dns-ready', address: server.address, port: server.port });
  const harness: HarnessDns = { server, queries: () => answered, source, sink: null, trustAnchor: dsPresentation(key) };
  return harness;
}

/** A private work directory and the harness DNS for each sender badmx runs itself. */
async function prepareSenders(senders: Sender[], fleet: Fleet, outDir: string, dns: DnsServer | null, resume: number, trustAnchor: string | null): Promise<void> {
  const needing = senders.filter((s) => s.needsDns);
  if (needing.length > 0 && !dns) throw new BadmxError(`${needing.map((s) => s.spec).join(', ')} need the harness DNS server`, 'EUSAGE');
  // Every prepare ends before any failure is reported: one still starting a resolver could not be closed.
  const prepared = await Promise.allSettled(needing.map(async (sender) => {
    if (!dns) return;
    const workDir = mkdtempSync(join(tmpdir(), 'badmx-sender-'));
    await sender.prepare?.({
      zone: fleet.zone,
      caFile: fleet.caFile,
      dns: { address: dns.address, port: dns.port },
      trustAnchor,
      workDir,
      // A resumed run's MTA is a new instance: its log goes beside the first one's, not over it.
      logFile: join(outDir, 'senders', `${safeName(sender.label)}${resume ? `.resume-${resume}` : ''}.log`),
    });
  }));
  const failed = prepared.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason as Error;
}

function safeName(label: string): string {
  return label.replace(/[^a-zA-Z0-9.-]+/g, '_');
}

interface StepContext {
  options: RunOptions;
  fleet: Fleet;
  results: Map<string, SendResult>;
  submitted: Set<string>;
  submittedAt: Map<string, string>;
  journal: RunJournal;
  /** This run's events from before a resume. */
  past: ReceiverEvent[];
  dns: DnsServer | null;
  /** In-zone questions the harness DNS has answered so far; null when it serves none. */
  dnsQueries: () => number | null;
}

/**
 * One step of the schedule: make its profile live (shared address), then every sender of the
 * step submits its probes at once, and the step waits until every probe is settled or the
 * deadline. A sender whose controls all settled undelivered stops there (its other cells are
 * inconclusive anyway: nothing shows its refusals were refusals); the others go on.
 */
async function runStep(ctx: StepContext, step: Step, probes: Probe[], deadline: number, position: { index: number; total: number }): Promise<boolean> {
  const { options, fleet, results, journal } = ctx;
  const senders = step.senders;
  if (options.addressing.kind === 'shared') {
    const live = step.profiles[0] ?? null;
    await fleet.activate(live);
    ctx.dns?.setZone(harnessZone({ zone: fleet.zone, members: fleet.members, mailbox: fleet.mailbox }, ctx.dns.address, live));
    options.onProgress?.({ kind: 'step-start', sender: senders.map((s) => s.label).join(', '), profile: live ?? '', index: position.index + 1, total: position.total });
    // Ctrl-C while the last profile was being stopped: submit nothing that would be abandoned.
    if (options.signal?.aborted) return false;
  }
  // A later phase of a multi-phase profile: its receiver and policy host change now, after the
  // phase before has settled (the step before this one), and before this phase's probes go out.
  // (Back to phase 1 too, when one sender's steps follow another's: the schedule of older runs.)
  for (const profile of options.profiles.filter((p) => step.profiles.includes(p.name) && phaseCount(p) > 1)) await fleet.setPhase(profile.name, step.phase ?? 1);
  const tracker = new SettleTracker(probes);
  const runDir = dirname(fleet.eventsFile);
  const probesOf = new Map(senders.map((sender) => [sender.label, probes.filter((p) => p.sender === sender.label)]));
  // A bounce settles its probe at once (a sender that gave up says so; there is nothing more to wait for).
  const observeBounce = (event: ReceiverEvent): void => {
    if (!isMailboxDelivery(event, fleet.mailbox.domain) || bounceProbes(event, probes).length === 0) return;
    const bounce = readBounce(event, runDir);
    if (!bounce) return;
    for (const probe of bounceProbes(bounce, probes)) {
      // A delay notice too: the sender deferred, and its retries meet the same receiver (judge-run.ts).
      const action = bounceEvidence(bounce, probe)?.action;
      if (action === 'failed' || action === 'delayed') tracker.markFinal(probe.id);
    }
  };
  // Reports arrive whenever their senders send them (real providers: once a day): each is said as it comes.
  const observeTlsReport = (event: ReceiverEvent): void => {
    if (!options.onProgress) return;
    const mailbox = `${TLSRPT_MAILBOX}@${fleet.mailbox.domain}`;
    const via = event.type === 'tlsrpt-post' && event.file ? 'https' : event.type === 'data' && event.accepted && event.file && event.rcptTo.some((r) => r.toLowerCase() === mailbox) ? 'mail' : null;
    const file = event.type === 'tlsrpt-post' || event.type === 'data' ? event.file : null;
    if (!via || !file) return;
    options.onProgress({ kind: 'tls-report', via, summary: tlsReportLine(join(runDir, file)) });
  };
  // A resumed step starts from what was already seen; connections the crash cut off are over.
  for (const event of ctx.past) {
    tracker.observe(event);
    observeBounce(event);
  }
  tracker.forgetOpenConnections();
  for (const probe of probes) {
    if (results.get(probe.id)?.final) tracker.markFinal(probe.id);
    // A resumed step: a stated retry model's clock runs from the submission, not from the resume.
    const retries = senders.find((s) => s.label === probe.sender)?.retries;
    const at = ctx.submittedAt.get(probe.id);
    if (retries && at && results.get(probe.id)?.accepted) tracker.settleAt(probe.id, Date.parse(at) + retryModelSpan(retries));
  }
  const reported = new Map(senders.map((sender) => [sender.label, 0]));
  // Asked on every event: only the probes not yet reported settled are looked at.
  const unreported = new Set(probes);
  const report = (): void => {
    for (const probe of unreported) {
      if (!tracker.isSettled(probe.id)) continue;
      unreported.delete(probe);
      const settled = (reported.get(probe.sender) ?? 0) + 1;
      reported.set(probe.sender, settled);
      options.onProgress?.({ kind: 'probe-settled', sender: probe.sender, profile: probe.profile, settled, total: probesOf.get(probe.sender)?.length ?? 0 });
    }
  };
  // Progress and the canaries are looked at once per turn of the event loop, not on every event.
  let lookScheduled = false;
  const lookSoon = (): void => {
    if (lookScheduled) return;
    lookScheduled = true;
    setImmediate(() => {
      lookScheduled = false;
      report();
      checkCanary();
    });
  };
  const unsubscribe = fleet.log.subscribe((event) => {
    tracker.observe(event);
    observeBounce(event);
    observeTlsReport(event);
    lookSoon();
  });
  // Ends the step early: Ctrl-C. Ends one sender's part early: its controls all settled undelivered.
  const stepAbort = new AbortController();
  const onAbort = (): void => stepAbort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stepAbort.abort();
  const senderAbort = new Map(senders.map((sender) => [sender.label, new AbortController()]));
  const isControlProbe = (p: Probe): boolean => isControl(options.profiles.find((x) => x.name === p.profile));
  const controlsOf = new Map(senders.map((sender) => [sender.label, (probesOf.get(sender.label) ?? []).filter(isControlProbe)]));
  const canaryDead = (label: string): boolean => {
    const controls = controlsOf.get(label) ?? [];
    return (
      controls.length > 0 &&
      options.addressing.kind !== 'shared' &&
      controls.every((p) => tracker.isSettled(p.id) && !tracker.isDelivered(p.id)) &&
      controls.every((p) => ctx.submitted.has(p.id))
    );
  };
  const checkCanary = (): void => {
    for (const sender of senders) {
      const abort = senderAbort.get(sender.label);
      if (!abort || abort.signal.aborted || stepAbort.signal.aborted || !canaryDead(sender.label)) continue;
      options.onProgress?.({ kind: 'no-control', sender: sender.label });
      abort.abort();
      // Its probes are no longer waited for; the step goes on for the other senders.
      tracker.stopAwaiting((probesOf.get(sender.label) ?? []).map((p) => p.id));
    }
  };
  for (const sender of senders) options.onProgress?.({ kind: 'sender-start', sender: sender.label, probes: probesOf.get(sender.label)?.length ?? 0 });
  const pollers: { stop(): Promise<void> }[] = [];
  try {
    report();
    const submitting = senders.map((sender) => {
      const pending = (probesOf.get(sender.label) ?? []).filter((probe) => !ctx.submitted.has(probe.id));
      const signal = AbortSignal.any([stepAbort.signal, senderAbort.get(sender.label)?.signal ?? stepAbort.signal]);
      return submitProbes(
        pending,
        (probe) => {
          const member = fleet.members.find((m) => m.name === probe.profile);
          if (!member) return Promise.resolve({ accepted: false, final: true, detail: `no receiver for ${probe.profile}`, failure: { kind: 'permanent' as const, code: null } });
          // On record before it happens: a crash from here on cannot make a resume send it twice unseen.
          journal.append({ type: 'submitting', at: new Date().toISOString(), probe: probe.id });
          return sender.send(probe, probeMessage(probe), { ...member, profile: member.name, caFile: fleet.caFile });
        },
        {
          concurrency: options.submitConcurrency ?? DEFAULT_SUBMIT_CONCURRENCY,
          deadline,
          signal,
          ...(options.submitBackoffMs ? { backoffMs: options.submitBackoffMs } : {}),
        },
        ({ probe, attempt, result, retrying }) => {
          const at = new Date().toISOString();
          if (retrying) {
            // Every attempt is on record; the last one is the probe's submission.
            journal.append({ type: 'attempt', at, probe: probe.id, attempt, result });
            options.onProgress?.({ kind: 'submission-retry', sender: sender.label, profile: probe.profile, attempt, detail: result.detail });
            return;
          }
          results.set(probe.id, result);
          ctx.submitted.add(probe.id);
          ctx.submittedAt.set(probe.id, at);
          journal.append({ type: 'submitted', at, probe: probe.id, result });
          // A relay whose retries the user stated is done with the probe once its last attempt is due and over.
          if (result.accepted && !result.final && sender.retries) tracker.settleAt(probe.id, Date.parse(at) + retryModelSpan(sender.retries));
          if (!result.accepted) options.onProgress?.({ kind: 'submission-refused', sender: sender.label, profile: probe.profile, detail: result.detail });
          if (result.final) tracker.markFinal(probe.id);
          report();
          checkCanary();
        },
      ).then(
        () => null,
        // Held until the wait is over (a journal that cannot be written, say): never an unhandled rejection.
        (error: unknown) => {
          stepAbort.abort();
          return error instanceof Error ? error : new Error(String(error));
        },
      );
    });
    // A sender that sees its own queue says when it is done with a probe (delivered or given up).
    // Only probes the sender has taken: a final word from its log never precedes (nor is overwritten by) its submission.
    for (const sender of senders) {
      if (!sender.poll) continue;
      pollers.push(
        pollSender(sender, probesOf.get(sender.label) ?? [], tracker, report, (id) => ctx.submitted.has(id), (id, result) => {
          const final = { ...result, attempts: results.get(id)?.attempts ?? 1 };
          results.set(id, final);
          journal.append({ type: 'final', at: new Date().toISOString(), probe: id, result: final });
          checkCanary();
        }),
      );
    }
    let all: boolean;
    let failed: Error | null;
    try {
      all = await tracker.untilSettled(deadline, stepAbort.signal);
      failed = (await Promise.all(submitting)).find((e) => e !== null) ?? null;
    } finally {
      // Every poller is told to stop at once; the first that failed says why.
      await Promise.all(pollers.map((poller) => poller.stop()));
    }
    if (failed) throw failed;
    let gaveUp = false;
    for (const sender of senders) {
      const own = probesOf.get(sender.label) ?? [];
      // As the wait ended: a retry that opened a connection since does not unsettle what was counted settled.
      const abandoned = senderAbort.get(sender.label)?.signal.aborted === true;
      const settled = all && !abandoned ? own.length : own.filter((p) => tracker.isSettled(p.id)).length;
      gaveUp ||= abandoned && settled < own.length;
      options.onProgress?.({ kind: 'sender-done', sender: sender.label, settled, total: own.length, timedOut: settled < own.length && !abandoned && !stepAbort.signal.aborted });
    }
    // Settled means every probe of the step: a sender that stopped at its dead controls left some unsettled.
    return all && !gaveUp;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** Whether the receivers' events name the probe: its delivery, or a connection that named it (a relay at work). */
function receiversSaw(events: ReceiverEvent[], probe: Probe): 'delivered' | 'named' | null {
  let named = false;
  for (const e of events) {
    if (isDeliveryOf(e, probe)) return 'delivered';
    if ((e.type === 'rcpt-to' && e.address.toLowerCase() === probe.recipient.toLowerCase()) || (e.type === 'mail-from' && e.address.toLowerCase() === probe.from.toLowerCase())) named = true;
  }
  return named ? 'named' : null;
}

function isControl(profile: Profile | undefined): boolean {
  return profile ? isControlProfile(profile) : false;
}

// Reading a managed MTA's log is cheap; a short interval keeps settle detection from
// adding to a run's wall time (the reference benchmark measures it).
const POLL_INTERVAL_MS = 100;

function pollSender(
  sender: Sender,
  probes: Probe[],
  tracker: SettleTracker,
  report: () => void,
  taken: (probeId: string) => boolean,
  onFinal: (probeId: string, result: SendResult) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  const finals = new Set<string>();
  const loop = (async () => {
    while (!stopped) {
      const pending = probes.filter((p) => !tracker.isSettled(p.id));
      if (pending.length === 0) break;
      const done = await sender.poll?.(pending.filter((p) => !finals.has(p.id) && taken(p.id))).catch(() => new Map<string, SendResult>());
      for (const [id, result] of done ?? []) {
        // A final word is journaled once, though the probe settles only when its connection closes.
        if (finals.has(id)) continue;
        finals.add(id);
        onFinal(id, result);
        tracker.markFinal(id);
      }
      report();
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  })().then(
    () => null,
    // Kept for stop(): a rejection nobody awaits yet would end the process.
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return {
    async stop() {
      stopped = true;
      const error = await loop;
      if (error) throw error;
    },
  };
}

/** A report in one line: who, about which domain, how many sessions failed and why. */
function tlsReportLine(file: string): string {
  try {
    const read = readTlsReportFile(file, { label: basename(file) });
    return summarizeTlsReports(read.reports)
      .map((row) => {
        const failures = row.failures.map((f) => `${f.resultType}: ${f.count}`).join(', ');
        return `${row.organization} on ${row.policyDomain} (${row.policyType}): ${row.successful} successful, ${row.failed} failed${failures ? ` (${failures})` : ''}`;
      })
      .join('; ');
  } catch (error) {
    return `not a valid TLS report: ${(error as Error).message}`;
  }
}
