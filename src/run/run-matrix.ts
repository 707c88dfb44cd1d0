import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attributeConnections, type SenderWindow } from '../classify/attribute.js';
import { classifyProbe } from '../classify/classify-probe.js';
import { writeAtomic } from '../files/write-atomic.js';
import { evaluate, ruleFor } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy-schema.js';
import { makeProbe, newRunId, probeMessage, type Probe } from '../probes/probe.js';
import type { Addressing } from '../receivers/addressing.js';
import { startFleet, type Fleet, type FleetMember } from '../receivers/fleet.js';
import type { Profile } from '../receivers/profile-schema.js';
import { readEventLog } from '../recorder/event-log.js';
import { jsonDocument, renderJsonDocument } from '../report/json-document.js';
import type { SendResult, Sender } from '../senders/sender.js';
import { VERSION } from '../version.js';
import { SCHEMA_VERSION, type Cell, type RunDocument, type RunSender } from './run-document.js';
import { SettleTracker } from './settle-tracker.js';

export interface RunOptions {
  senders: Sender[];
  policy: Policy;
  profiles: Profile[];
  zone: string;
  certsDir: string;
  addressing: Addressing;
  /** The run directory: events.jsonl, messages/ and run.json go here. */
  outDir: string;
  /** How long each sender gets for its probes to settle. */
  waitMs: number;
  onProgress?: (progress: RunProgress) => void;
  /** Stop waiting (e.g. on SIGINT): what was recorded is classified and written, unsettled cells say so. */
  signal?: AbortSignal;
}

export type RunProgress =
  | { kind: 'fleet-ready'; fleet: Fleet }
  | { kind: 'sender-start'; sender: string; probes: number }
  | { kind: 'probe-settled'; sender: string; profile: string; settled: number; total: number }
  | { kind: 'submission-refused'; sender: string; profile: string; detail: string }
  | { kind: 'sender-done'; sender: string; settled: number; total: number; timedOut: boolean };

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
  });
  options.onProgress?.({ kind: 'fleet-ready', fleet });

  const probes: Probe[] = [];
  const results = new Map<string, SendResult>();
  const windows: SenderWindow[] = [];
  let error: Error | null = null;
  try {
    // Every sender must be usable before any probe goes out: a bad spec or relay fails in seconds, not after a run.
    for (const sender of options.senders) await sender.check();
    let n = 0;
    for (const sender of options.senders) {
      if (options.signal?.aborted) break;
      const own = options.profiles.map((profile) => makeProbe(runId, ++n, sender.label, profile.name, options.zone));
      probes.push(...own);
      const window = await runSender(sender, own, fleet, options, results);
      windows.push(window);
    }
  } catch (caught) {
    error = caught as Error;
  } finally {
    await Promise.allSettled(options.senders.map((sender) => sender.close()));
    await fleet.stop();
  }

  const document = buildDocument({ options, fleet, runId, startedAt, probes, results, windows, error });
  writeAtomic(join(outDir, jsonDocument.fileName), renderJsonDocument(document));
  if (error) throw new RunError(error.message, document, { cause: error });
  return document;
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
    const all = await tracker.untilSettled(deadline, options.signal);
    options.onProgress?.({ kind: 'sender-done', sender: sender.label, settled: tracker.settledCount, total: probes.length, timedOut: !all });
  } finally {
    unsubscribe();
  }
  return { sender: sender.label, start, end: new Date().toISOString() };
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
  const { events } = readEventLog(fleet.eventsFile);
  const attribution = attributeConnections(events, probes, windows);
  const profiles = new Map(options.profiles.map((p) => [p.name, p]));

  const cells: Cell[] = probes.map((probe) => {
    const profile = profiles.get(probe.profile) as Profile;
    const classification = classifyProbe(attribution.byProbe.get(probe.id) ?? [], probe);
    const verdict = evaluate(options.policy, profile, classification);
    const submission = results.get(probe.id) ?? null;
    const delivered = classification.received !== null;
    const lastClose = classification.evidence.every((c) => c.end !== null);
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
      evidence: classification.evidence,
    };
  });

  const senders: RunSender[] = options.senders.map((sender) => {
    const window = windows.find((w) => w.sender === sender.label);
    return { label: sender.label, spec: sender.spec, kind: sender.kind, notes: sender.notes, window: window ? { start: window.start, end: window.end } : null };
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
      const member = fleet.members.find((m) => m.name === profile.name) as FleetMember;
      const rule = ruleFor(options.policy, profile);
      return {
        ...member,
        slot: profile.slot,
        starttls: profile.starttls,
        tls: profile.tls,
        certificate: profile.certificate,
        expected: { expect: rule.expect, minVersion: rule.minVersion ?? null, because: rule.because },
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
