import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { attributeConnections, type SenderWindow } from '../classify/attribute.js';
import { classifyProbe } from '../classify/classify-probe.js';
import { startDnsServer, type DnsServer } from '../dns/dns-server.js';
import { buildZone } from '../dns/zone-records.js';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { evaluate, ruleFor } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import { makeProbe, newRunId, probeMessage, type Probe } from '../probes/probe.js';
import { certificateRole } from '../certs/served-certificate.js';
import type { UserCertificate } from '../certs/user-certificate.js';
import type { Addressing } from '../receivers/addressing.js';
import type { ReceiverLimits } from '../receivers/limits.js';
import type { Naming } from '../receivers/naming.js';
import { startFleet, type Fleet, type FleetMember } from '../receivers/fleet.js';
import type { Profile } from '../receivers/profile-schema.js';
import { readEventLog } from '../recorder/event-log.js';
import { jsonDocument, renderJsonDocument } from '../report/json-document.js';
import type { SendResult, Sender } from '../senders/sender.js';
import { VERSION } from '../version.js';
import { readHopEvidence } from './hop-evidence.js';
import { SCHEMA_VERSION, type Cell, type RunDocument, type RunSender } from './run-document.js';
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
  | { kind: 'senders-done' };

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
 * sender in turn, wait until every probe is settled or the sender's deadline, then
 * classify what the receivers recorded and judge it against the policy. Writes run.json.
 */
export async function runMatrix(options: RunOptions): Promise<RunDocument> {
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const fleet = await startFleet({
    profiles: options.profiles,
    zone: options.zone,
    certsDir: options.certsDir,
    addressing: options.addressing,
    eventsFile: join(outDir, 'events.jsonl'),
    ...(options.naming ? { naming: options.naming } : {}),
    ...(options.userCertificate ? { userCertificate: options.userCertificate } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  options.onProgress?.({ kind: 'fleet-ready', fleet });

  const probes: Probe[] = [];
  const results = new Map<string, SendResult>();
  const windows: SenderWindow[] = [];
  let error: Error | null = null;
  let dns: DnsServer | null = null;
  const closed = new Set<Sender>();
  try {
    dns = await prepareSenders(options, fleet, outDir);
    // Every sender must be usable before any probe goes out: a bad spec or relay fails in seconds, not after a run.
    for (const sender of options.senders) await sender.check();
    let n = 0;
    for (const sender of options.senders) {
      if (options.signal?.aborted) break;
      const own = options.profiles.map((profile) =>
        makeProbe(runId, ++n, sender.label, profile.name, options.zone, fleet.members.find((m) => m.name === profile.name)?.domain),
      );
      probes.push(...own);
      let window: SenderWindow;
      try {
        window = await runSender(sender, own, fleet, options, results);
      } finally {
        // Stop the sender before the next one starts: a managed MTA still retrying would
        // otherwise reach the receivers during the next sender's window.
        closed.add(sender);
        await sender.close().catch(() => undefined);
      }
      // The window lasts until the sender is stopped, so a retry that raced the stop is still its own.
      windows.push({ ...window, end: new Date().toISOString() });
    }
  } catch (caught) {
    error = caught as Error;
  } finally {
    await Promise.allSettled(options.senders.filter((sender) => !closed.has(sender)).map((sender) => sender.close()));
    await dns?.stop();
    await fleet.stop();
  }

  options.onProgress?.({ kind: 'senders-done' });
  const document = buildDocument({ options, fleet, runId, startedAt, probes, results, windows, error });
  writeAtomic(join(outDir, jsonDocument.fileName), renderJsonDocument(document));
  if (error) throw new RunError(error.message, document, { cause: error });
  return document;
}

export const DEFAULT_DNS = { address: '127.0.2.253', port: 53 } as const;

/**
 * Senders that find receivers by MX get the harness DNS server, serving the fleet's zone,
 * and a private work directory. Nothing starts when no sender needs it.
 */
async function prepareSenders(options: RunOptions, fleet: Fleet, outDir: string): Promise<DnsServer | null> {
  const needing = options.senders.filter((sender) => sender.needsDns);
  if (needing.length === 0) return null;
  const names = needing.map((s) => s.spec).join(', ');
  if (options.addressing.kind !== 'per-profile' || options.addressing.port !== 25) {
    throw new BadmxError(`${names} deliver by MX to port 25 of each receiver: run without --port and --port-range (as root)`, 'EUSAGE');
  }
  const where = options.dns ?? DEFAULT_DNS;
  const zone = buildZone({
    origin: fleet.zone,
    hosts: fleet.members.map((m) => ({ domain: m.domain, hostname: m.hostname, address: m.address, description: `badmx profile ${m.name}: ${m.title}` })),
    nameServer: { hostname: `ns.${fleet.zone}`, address: where.address },
  });
  const dns = await startDnsServer({ zone, address: where.address, port: where.port });
  options.onProgress?.({ kind: 'dns-ready', address: dns.address, port: dns.port });
  try {
    for (const sender of needing) {
      const workDir = mkdtempSync(join(tmpdir(), 'badmx-sender-'));
      await sender.prepare?.({
        zone: fleet.zone,
        caFile: fleet.caFile,
        dns: { address: dns.address, port: dns.port },
        workDir,
        logFile: join(outDir, 'senders', `${safeName(sender.label)}.log`),
      });
    }
  } catch (error) {
    await dns.stop();
    throw error;
  }
  return dns;
}

function safeName(label: string): string {
  return label.replace(/[^a-zA-Z0-9.-]+/g, '_');
}

async function runSender(
  sender: Sender,
  probes: Probe[],
  fleet: Fleet,
  options: RunOptions,
  results: Map<string, SendResult>,
): Promise<SenderWindow> {
  const start = new Date().toISOString();
  const tracker = new SettleTracker(probes);
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
  const deadline = Date.now() + options.waitMs;
  try {
    await Promise.all(
      probes.map(async (probe) => {
        const member = fleet.members.find((m) => m.name === probe.profile);
        if (!member) return;
        const result = await sender.send(probe, probeMessage(probe), { ...member, profile: member.name, caFile: fleet.caFile });
        results.set(probe.id, result);
        if (!result.accepted) options.onProgress?.({ kind: 'submission-refused', sender: sender.label, profile: probe.profile, detail: result.detail });
        if (result.final) tracker.markFinal(probe.id);
        report();
      }),
    );
    // A sender that sees its own queue says when it is done with a probe (delivered or given up).
    const poller = sender.poll ? pollSender(sender, probes, results, tracker, report) : null;
    let all: boolean;
    try {
      all = await tracker.untilSettled(deadline, options.signal);
    } finally {
      await poller?.stop();
    }
    options.onProgress?.({ kind: 'sender-done', sender: sender.label, settled: tracker.settledCount, total: probes.length, timedOut: !all });
  } finally {
    unsubscribe();
  }
  return { sender: sender.label, start, end: new Date().toISOString() };
}

// Reading a managed MTA's log is cheap; a short interval keeps settle detection from
// adding to a run's wall time (the reference benchmark measures it).
const POLL_INTERVAL_MS = 100;

function pollSender(
  sender: Sender,
  probes: Probe[],
  results: Map<string, SendResult>,
  tracker: SettleTracker,
  report: () => void,
): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const pending = probes.filter((p) => !tracker.isSettled(p.id));
      if (pending.length === 0) break;
      const done = await sender.poll?.(pending).catch(() => new Map<string, SendResult>());
      for (const [id, result] of done ?? []) {
        results.set(id, result);
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

function buildDocument(input: {
  options: RunOptions;
  fleet: Fleet;
  runId: string;
  startedAt: string;
  probes: Probe[];
  results: Map<string, SendResult>;
  windows: SenderWindow[];
  error: Error | null;
}): RunDocument {
  const { options, fleet, probes, results, windows } = input;
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
    const lastClose = classification.evidence.every((c) => c.end !== null);
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
    };
  });

  const senders: RunSender[] = options.senders.map((sender) => {
    const window = windows.find((w) => w.sender === sender.label);
    return {
      label: sender.label,
      spec: sender.spec,
      kind: sender.kind,
      notes: sender.notes,
      software: sender.software ?? null,
      window: window ? { start: window.start, end: window.end } : null,
      trustsHarnessRoot: trusts.get(sender.label) ?? true,
    };
  });

  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'badmx', version: VERSION },
    run: {
      id: input.runId,
      status: input.error ? 'error' : 'complete',
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
  };
}
