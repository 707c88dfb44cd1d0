/**
 * badmx as a library: the same stages the CLI runs (src/cli is a thin layer over these),
 * importable into a test suite or a tool. Importing this module starts nothing.
 *
 *   profiles → fleet → events → outcomes → verdicts → reports; run.json is the one document.
 */
import { BadmxError } from './errors.js';
import { RENDERERS } from './report/registry.js';
import type { RenderOutput } from './report/renderer.js';
import { loadRunDocument } from './document/load-run-document.js';
import type { RunDocument } from './document/run-document.js';

// The receiver fleet, and its profiles as data.
export { startFleet, fleetManifest, type Fleet, type FleetMember, type FleetOptions } from './receivers/fleet.js';
export { loadCatalogue, selectProfiles, BUILTIN_CATALOGUE } from './profiles/catalogue.js';
export { isControlProfile, withControl } from './profiles/profile-role.js';
export type { Profile } from './profiles/profile-schema.js';
export type { Addressing } from './profiles/addressing.js';
export type { ReceiverLimits } from './receivers/limits.js';
export { DEFAULT_ZONE } from './profiles/naming.js';
export { ensurePki, type Pki } from './certs/pki.js';

// Senders and the run.
export { parseSenderSpec } from './sender-spec/parse-sender-spec.js';
export type { Sender, SendResult, ProbeTarget } from './senders/sender.js';
export { runMatrix, RunError, type RunOptions, type RunProgress } from './run/run-matrix.js';

// Outcomes and verdicts: pure functions of what was recorded.
export { classifyProbe } from './classify/classify-probe.js';
export type { Outcome, Classification, ConnectionSummary } from './classify/outcome.js';
export { evaluate, ruleFor, profileFacts, type Verdict, type VerdictResult } from './policy/evaluate.js';
export { judgeCell, type CellFacts, type Judgement } from './policy/judge-cell.js';
export { diagnoseSender } from './policy/diagnose-sender.js';
export { loadPolicy } from './policy/load-policy.js';
export type { Policy, PolicyRule } from './policy/policy-schema.js';

// The run document and its reports.
export type { RunDocument, Cell, RunSender, RunProfile, RunSchedule, Inconclusive, BounceEvidence } from './document/run-document.js';
export { SCHEMA_VERSION } from './document/run-document.js';
export { FORMAT_NAMES } from './report/registry.js';
export type { RenderOutput } from './report/renderer.js';
export { BadmxError } from './errors.js';

/** A saved run (a run.json, or the run directory holding it), checked against its schema: one line naming the file and field when it is wrong. */
export function loadRun(path: string): RunDocument {
  return loadRunDocument(path).document;
}

/** One report of a run in a format of `FORMAT_NAMES` (html, svg, png, md, junit, csv, json): text, or bytes for png. */
export async function renderReport(run: RunDocument, format: string): Promise<RenderOutput> {
  const renderer = RENDERERS.find((r) => r.name === format);
  if (!renderer) throw new BadmxError(`"${format}" is not a report format: use ${RENDERERS.map((r) => r.name).join(', ')}`, 'EUSAGE');
  const unavailable = renderer.unavailable?.() ?? null;
  if (unavailable) throw new BadmxError(`${format}: ${unavailable}`, 'EUSAGE');
  return await renderer.render(run);
}
