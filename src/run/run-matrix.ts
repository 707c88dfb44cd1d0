import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { attributeConnections } from '../classify/attribute.js';
import { classifyProbe } from '../classify/classify-probe.js';
import { startDnsServer, type DnsServer } from '../dns/dns-server.js';
import { buildZone, type Zone } from '../dns/zone-records.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { evaluate, ruleFor } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import { makeProbe, newRunId, probeMessage, type Probe } from '../probes/probe.js';
import { certificateRole } from '../certs/served-certificate.js';
import type { UserCertificate } from '../certs/user-certificate.js';
import { listenAddress, type Addressing } from '../receivers/addressing.js';
import type { ReceiverLimits } from '../receivers/limits.js';
import { DEFAULT_NAMING, isPublicZone, profileNames, type Naming } from '../receivers/naming.js';
import { startFleet, type Fleet, type FleetMember } from '../receivers/fleet.js';
import type { Profile } from '../receivers/profile-schema.js';
import { readEventLog } from '../recorder/event-log.js';
import type { ReceiverEvent } from '../recorder/events.js';
import { jsonDocument, renderJsonDocument } from '../report/json-document.js';
import type { SendResult, Sender } from '../senders/sender.js';
import { VERSION } from '../version.js';
import { readHopEvidence } from './hop-evidence.js';
import { SCHEMA_VERSION, type Cell, type RunDocument, type RunSender } from './run-document.js';
import { JOURNAL_FILE, readJournal, RunJournal, type JournalState, type RunPlan } from './run-journal.js';
import { claimRunDirectory } from './run-owner.js';
import { planSteps, type Step, type StepWindow } from './run-schedule.js';
import { SettleTracker } from './settle-tracker.js';
import { certificateCaveat, trustsHarnessRoot } from './certificate-caveat.js';

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
}

export type RunProgress =
  | { kind: 'fleet-ready'; fleet: Fleet }
  | { kind: 'sender-start'; sender: string; probes: number }
  | { kind: 'probe-settled'; sender: string; profile: string; settled: number; total: number }
  | { kind: 'submission-refused'; sender: string; profile: string; detail: string }
  | { kind: 'sender-done'; sender: string; settled: number; total: number; timedOut: boolean }
  /** The harness DNS server answers (only when a sender finds receivers by MX). */
  | { kind: 'dns-ready'; address: string; port: number }
  /** Every sender is done and stopped; what follows is classification and run.json. */
  | { kind: 'senders-done' }
  /** Sequential schedule: a profile is now the one live on the shared address. */
  | { kind: 'step-start'; sender: string; profile: string; index: number; total: number };

/** Thrown when a run could not be completed; `document` is what was written to run.json. */
export class RunError extends Error {
  readonly document: RunDocument;
  constructor(message: string, document: RunDocument, options?: ErrorOptions) {
    super(message, options);
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
  mkdirSync(outDir, { recursive: true });
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
  let dns: DnsServer | null = null;
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
    await dns?.stop();
    journal.close();
    throw error;
  }
  options.onProgress?.({ kind: 'fleet-ready', fleet });
  // Where each profile listens and what it serves: for `badmx status` without a fleet.
  journal.append({ type: 'fleet', at: new Date().toISOString(), members: fleet.members });

  // What a crashed run had already done: submissions (never repeated) and final words.
  const results = new Map<string, SendResult>(state?.submitted);
  for (const [id, result] of state?.final ?? []) results.set(id, result);
  const submitted = new Set(state?.submitted.keys());
  const past = state ? readEventLog(fleet.eventsFile).events.filter((e) => e.time >= startedAt) : [];
  const steps = planSteps(options.senders, options.profiles, options.addressing);
  const windows: StepWindow[] = [];
  let error: Error | null = null;
  // On a resume, senders whose steps are all over are not started again (a managed MTA would
  // overwrite its log; a relay that is down now must not block finished work).
  const active = options.senders.filter((sender) => steps.some((step) => step.sender === sender && !state?.stepEnd.has(step.key)));
  const closed = new Set<Sender>(options.senders.filter((sender) => !active.includes(sender)));
  let interrupted = false;
  const stepContext: StepContext = { options, fleet, results, submitted, journal, past, dns };
  try {
    await prepareSenders(active, fleet, outDir, dns, state ? state.resumes.length + 1 : 0);
    // Every sender must be usable before any probe goes out: a bad spec or relay fails in seconds, not after a run.
    for (const sender of active) await sender.check();
    for (const [index, step] of steps.entries()) {
      const ended = state?.stepEnd.get(step.key);
      const begun = state?.stepStart.get(step.key);
      const lastOfSender = !steps.slice(index + 1).some((s) => s.sender === step.sender);
      if (ended) {
        windows.push({ sender: step.sender.label, profiles: step.profiles, start: begun ?? ended.at, end: ended.at, settled: ended.settled });
      } else {
        if (options.signal?.aborted) break;
        const start = begun ?? new Date().toISOString();
        if (!begun) journal.append({ type: 'step-start', at: start, step: step.key });
        interrupted = true;
        const own = probes.filter((p) => p.sender === step.sender.label && step.profiles.includes(p.profile));
        const settled = await runStep(stepContext, step, own, Date.parse(start) + options.waitMs, { index, total: steps.length });
        // A step cut short by Ctrl-C is not over: --resume continues it.
        const aborted = options.signal?.aborted === true;
        if (lastOfSender || aborted) {
          // Stop the sender before the next one starts: a managed MTA still retrying would
          // otherwise reach the receivers during the next sender's window.
          closed.add(step.sender);
          await step.sender.close().catch(() => undefined);
        }
        // The window lasts until the sender is stopped, so a retry that raced the stop is still its own.
        const end = new Date().toISOString();
        if (!aborted) {
          journal.append({ type: 'step-end', at: end, step: step.key, settled });
          interrupted = false;
        }
        windows.push({ sender: step.sender.label, profiles: step.profiles, start, end, settled });
        if (aborted) break;
        continue;
      }
      if (lastOfSender && !closed.has(step.sender)) {
        closed.add(step.sender);
        await step.sender.close().catch(() => undefined);
      }
    }
  } catch (caught) {
    error = caught as Error;
  } finally {
    await Promise.allSettled(options.senders.filter((sender) => !closed.has(sender)).map((sender) => sender.close()));
    await dns?.stop();
    await fleet.stop();
    journal.close();
  }

  options.onProgress?.({ kind: 'senders-done' });
  const document = buildDocument({
    options,
    members: fleet.members,
    caFile: fleet.caFile,
    eventsFile: fleet.eventsFile,
    runId,
    startedAt,
    probes,
    results,
    windows,
    resumes: [...(state?.resumes ?? []), ...(resumedAt ? [resumedAt] : [])],
    ...(interrupted ? { status: 'interrupted' as const } : {}),
    error,
  });
  writeAtomic(join(outDir, jsonDocument.fileName), renderJsonDocument(document));
  if (error) throw new RunError(error.message, document, { cause: error });
  return document;
}

/** One probe per (sender, profile), numbered sender by sender: the plan a resumed run keeps. */
function planProbes(runId: string, options: RunOptions): Probe[] {
  let n = 0;
  const naming = options.naming ?? DEFAULT_NAMING;
  return options.senders.flatMap((sender) =>
    options.profiles.map((profile) => makeProbe(runId, ++n, sender.label, profile.name, options.zone, profileNames(profile, options.zone, naming).domain)),
  );
}

function runPlan(runId: string, startedAt: string, probes: Probe[], options: RunOptions): RunPlan {
  return {
    runId,
    startedAt,
    senders: options.senders.map((s) => ({ spec: s.spec, label: s.label, kind: s.kind, notes: s.notes })),
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
  };
}

export const DEFAULT_DNS = { address: '127.0.2.253', port: 53 } as const;

/**
 * The harness DNS server, serving the fleet's zone: for senders that find receivers by MX
 * (postfix:, exim:), and in public mode when the zone is delegated to this host.
 */
/** The fleet's names and addresses as the plan says they will be: what the zone publishes. */
function plannedZone(options: RunOptions): ZoneSource {
  const naming = options.naming ?? DEFAULT_NAMING;
  return {
    zone: options.zone,
    members: options.profiles.map((profile) => ({
      name: profile.name,
      title: profile.title,
      ...profileNames(profile, options.zone, naming),
      ...listenAddress(options.addressing, profile.slot),
    })),
  };
}

type ZoneSource = { zone: string; members: Pick<FleetMember, 'name' | 'title' | 'domain' | 'hostname' | 'address'>[] };

async function startHarnessDns(options: RunOptions, fleet: ZoneSource): Promise<DnsServer | null> {
  const needing = options.senders.filter((sender) => sender.needsDns);
  if (needing.length === 0 && !options.serveDns) return null;
  if (needing.length > 0 && (options.addressing.kind === 'port-range' || options.addressing.port !== 25)) {
    const names = needing.map((s) => s.spec).join(', ');
    throw new BadmxError(`${names} deliver by MX to port 25 of each receiver: run without --port and --port-range (as root)`, 'EUSAGE');
  }
  const where = options.dns ?? DEFAULT_DNS;
  const dns = await startDnsServer({ zone: zoneFor(fleet, where.address, null), address: where.address, port: where.port });
  options.onProgress?.({ kind: 'dns-ready', address: dns.address, port: dns.port });
  return dns;
}

/**
 * The zone as it should answer now. With a shared address and a live profile, every other
 * profile's names answer SERVFAIL, so a sender retrying a probe whose step is over waits
 * instead of reaching the live profile's receiver.
 */
function zoneFor(fleet: ZoneSource, nameServerAddress: string, live: string | null): Zone {
  const zone = buildZone({
    origin: fleet.zone,
    hosts: fleet.members.map((m) => ({ domain: m.domain, hostname: m.hostname, address: m.address, description: `badmx profile ${m.name}: ${m.title}` })),
    nameServer: { hostname: `ns.${fleet.zone}`, address: nameServerAddress },
  });
  // Both names: with flat naming the MX host is not below the recipient domain.
  if (live !== null) zone.dormant = fleet.members.filter((m) => m.name !== live).flatMap((m) => [m.domain, m.hostname]);
  return zone;
}

/** A private work directory and the harness DNS for each sender badmx runs itself. */
async function prepareSenders(senders: Sender[], fleet: Fleet, outDir: string, dns: DnsServer | null, resume: number): Promise<void> {
  for (const sender of senders.filter((s) => s.needsDns)) {
    if (!dns) throw new BadmxError(`${sender.spec} needs the harness DNS server`, 'EUSAGE');
    const workDir = mkdtempSync(join(tmpdir(), 'badmx-sender-'));
    await sender.prepare?.({
      zone: fleet.zone,
      caFile: fleet.caFile,
      dns: { address: dns.address, port: dns.port },
      workDir,
      // A resumed run's MTA is a new instance: its log goes beside the first one's, not over it.
      logFile: join(outDir, 'senders', `${safeName(sender.label)}${resume ? `.resume-${resume}` : ''}.log`),
    });
  }
}

function safeName(label: string): string {
  return label.replace(/[^a-zA-Z0-9.-]+/g, '_');
}

interface StepContext {
  options: RunOptions;
  fleet: Fleet;
  results: Map<string, SendResult>;
  submitted: Set<string>;
  journal: RunJournal;
  /** This run's events from before a resume. */
  past: ReceiverEvent[];
  dns: DnsServer | null;
}

/** One step of the schedule: make its profile live (shared address), submit, wait until settled or the deadline. */
async function runStep(ctx: StepContext, step: Step, probes: Probe[], deadline: number, position: { index: number; total: number }): Promise<boolean> {
  const { options, fleet, results, journal } = ctx;
  const sender = step.sender;
  if (options.addressing.kind === 'shared') {
    const live = step.profiles[0] ?? null;
    await fleet.activate(live);
    ctx.dns?.setZone(zoneFor(fleet, ctx.dns.address, live));
    options.onProgress?.({ kind: 'step-start', sender: sender.label, profile: live ?? '', index: position.index + 1, total: position.total });
    // Ctrl-C while the last profile was being stopped: submit nothing that would be abandoned.
    if (options.signal?.aborted) return false;
  }
  const tracker = new SettleTracker(probes);
  // A resumed step starts from what was already seen; connections the crash cut off are over.
  for (const event of ctx.past) tracker.observe(event);
  tracker.forgetOpenConnections();
  for (const probe of probes) if (results.get(probe.id)?.final) tracker.markFinal(probe.id);
  const reported = new Set<string>();
  const report = (): void => {
    for (const probe of probes) {
      if (reported.has(probe.id) || !tracker.isSettled(probe.id)) continue;
      reported.add(probe.id);
      options.onProgress?.({ kind: 'probe-settled', sender: sender.label, profile: probe.profile, settled: reported.size, total: probes.length });
    }
  };
  const unsubscribe = fleet.log.subscribe((event) => {
    tracker.observe(event);
    report();
  });
  options.onProgress?.({ kind: 'sender-start', sender: sender.label, probes: probes.length });
  try {
    report();
    await Promise.all(
      probes
        .filter((probe) => !ctx.submitted.has(probe.id))
        .map(async (probe) => {
          const member = fleet.members.find((m) => m.name === probe.profile);
          if (!member) return;
          const result = await sender.send(probe, probeMessage(probe), { ...member, profile: member.name, caFile: fleet.caFile });
          results.set(probe.id, result);
          ctx.submitted.add(probe.id);
          journal.append({ type: 'submitted', at: new Date().toISOString(), probe: probe.id, result });
          if (!result.accepted) options.onProgress?.({ kind: 'submission-refused', sender: sender.label, profile: probe.profile, detail: result.detail });
          if (result.final) tracker.markFinal(probe.id);
          report();
        }),
    );
    // A sender that sees its own queue says when it is done with a probe (delivered or given up).
    const poller = sender.poll
      ? pollSender(sender, probes, tracker, report, (id, result) => {
          results.set(id, result);
          journal.append({ type: 'final', at: new Date().toISOString(), probe: id, result });
        })
      : null;
    let all: boolean;
    try {
      all = await tracker.untilSettled(deadline, options.signal);
    } finally {
      await poller?.stop();
    }
    options.onProgress?.({ kind: 'sender-done', sender: sender.label, settled: tracker.settledCount, total: probes.length, timedOut: !all });
    return all;
  } finally {
    unsubscribe();
  }
}

// Reading a managed MTA's log is cheap; a short interval keeps settle detection from
// adding to a run's wall time (the reference benchmark measures it).
const POLL_INTERVAL_MS = 100;

function pollSender(
  sender: Sender,
  probes: Probe[],
  tracker: SettleTracker,
  report: () => void,
  onFinal: (probeId: string, result: SendResult) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  const finals = new Set<string>();
  const loop = (async () => {
    while (!stopped) {
      const pending = probes.filter((p) => !tracker.isSettled(p.id));
      if (pending.length === 0) break;
      const done = await sender.poll?.(pending.filter((p) => !finals.has(p.id))).catch(() => new Map<string, SendResult>());
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
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export function buildDocument(input: {
  options: Pick<RunOptions, 'policy' | 'profiles' | 'zone' | 'waitMs' | 'addressing'> & {
    senders: Pick<Sender, 'label' | 'spec' | 'kind' | 'notes' | 'software'>[];
  };
  members: FleetMember[];
  caFile: string;
  eventsFile: string;
  runId: string;
  startedAt: string;
  probes: Probe[];
  results: Map<string, SendResult>;
  windows: StepWindow[];
  /** When the run was resumed; connections a crash cut off before the last of them are over. */
  resumes: string[];
  error: Error | null;
  /** `running` for `badmx status` of a run still going; `interrupted` when a step was cut short (Ctrl-C): --resume continues it. */
  status?: 'running' | 'interrupted';
}): RunDocument {
  const { options, probes, results, windows } = input;
  const fleet = { members: input.members, caFile: input.caFile, eventsFile: input.eventsFile, publicZone: isPublicZone(options.zone) };
  const lastResume = input.resumes.at(-1);
  // An --out directory used before keeps its earlier runs' events: only this run's count.
  const events = readEventLog(fleet.eventsFile).events.filter((e) => e.time >= input.startedAt);
  const attribution = attributeConnections(events, probes, windows);
  const profiles = new Map(options.profiles.map((p) => [p.name, p]));
  const trusts = new Map(options.senders.map((sender) => [sender.label, trustsHarnessRoot(sender.kind, fleet.publicZone)]));

  const cells: Cell[] = probes.map((probe) => {
    const profile = profiles.get(probe.profile) as Profile;
    const classification = classifyProbe(attribution.byProbe.get(probe.id) ?? [], probe);
    const verdict = evaluate(options.policy, profile, classification);
    const submission = results.get(probe.id) ?? null;
    const delivered = classification.received !== null;
    const lastClose = classification.evidence.every((c) => c.end !== null || (lastResume !== undefined && c.start < lastResume));
    const member = fleet.members.find((m) => m.name === probe.profile);
    // Stored messages are relative to the event log's directory, which is the run directory.
    const hopEvidence = member
      ? readHopEvidence(dirname(fleet.eventsFile), classification.message, member.hostname, classification.tls)
      : { hops: null, evidenceMismatch: null };
    return {
      sender: probe.sender,
      profile: probe.profile,
      probe: { id: probe.id, recipient: probe.recipient, messageId: probe.messageId },
      outcome: classification.outcome,
      verdict: verdict.verdict,
      reason: verdict.reason,
      tls: classification.tls,
      alert: classification.alert,
      connections: classification.connections,
      firstSeen: classification.firstSeen,
      lastSeen: classification.lastSeen,
      settled: (delivered || submission?.final === true) && lastClose,
      submission,
      received: classification.received,
      message: classification.message,
      hops: hopEvidence.hops,
      evidenceMismatch: hopEvidence.evidenceMismatch,
      caveat: certificateCaveat({
        role: certificateRole(profile),
        source: member?.served.source ?? null,
        trustsHarnessRoot: trusts.get(probe.sender) ?? true,
        outcome: classification.outcome,
        issuer: profile.certificate.issuer,
        title: profile.title,
      }),
      evidence: classification.evidence,
      misdirected: (attribution.misdirected.get(probe.id) ?? []).length,
    };
  });

  const senders: RunSender[] = options.senders.map((sender) => {
    const own = windows.filter((w) => w.sender === sender.label);
    const window = own.length ? { start: own.map((w) => w.start).sort()[0]!, end: own.map((w) => w.end).sort().at(-1)! } : null;
    return {
      label: sender.label,
      spec: sender.spec,
      kind: sender.kind,
      notes: sender.notes,
      software: sender.software ?? null,
      window,
      trustsHarnessRoot: trusts.get(sender.label) ?? true,
    };
  });

  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'badmx', version: VERSION },
    run: {
      id: input.runId,
      status: input.status ?? (input.error ? 'error' : 'complete'),
      error: input.error ? input.error.message : null,
      startedAt: input.startedAt,
      finishedAt: new Date().toISOString(),
      zone: options.zone,
      waitMs: options.waitMs,
      caFile: fleet.caFile,
      events: 'events.jsonl',
    },
    policy: options.policy,
    profiles: options.profiles.map((profile) => {
      const { served, ...member } = fleet.members.find((m) => m.name === profile.name) as FleetMember;
      const rule = ruleFor(options.policy, profile);
      return {
        ...member,
        slot: profile.slot,
        starttls: profile.starttls,
        tls: profile.tls,
        certificate: profile.certificate,
        expected: { expect: rule.expect, minVersion: rule.minVersion ?? null, because: rule.because },
        served,
      };
    }),
    senders,
    cells,
    summary: {
      cells: cells.length,
      pass: cells.filter((c) => c.verdict === 'pass').length,
      fail: cells.filter((c) => c.verdict === 'fail').length,
      unsettled: cells.filter((c) => !c.settled).length,
    },
    stray: { connections: attribution.stray.length },
    schedule: {
      mode: options.addressing.kind === 'shared' ? 'sequential' : 'parallel',
      address: options.addressing.kind === 'shared' ? `${options.addressing.address}:${options.addressing.port}` : null,
      steps: windows.map((w) => ({ sender: w.sender, profiles: w.profiles, start: w.start, end: w.end, settled: w.settled })),
      resumes: input.resumes,
    },
  };
}
