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

// Judging: a run's document from what its receivers recorded, its journal and a clock value (pure).
export { judgeRun, type JudgeRunInput } from './run/judge-run.js';
export { readRecordedFacts, type RecordedFacts } from './run/recorded-facts.js';
export { replayJournal, windowsSoFar, journalMembers, type Replay } from './run/replay-journal.js';
export { readJournal, JOURNAL_FILE, type JournalState, type RunPlan } from './run/run-journal.js';
export { planSteps, type Step, type StepWindow } from './run/run-schedule.js';

// Outcomes and verdicts: pure functions of what was recorded.
export { classifyProbe } from './classify/classify-probe.js';
export type { Outcome, Classification, ConnectionSummary } from './classify/outcome.js';
export { evaluate, ruleFor, profileFacts, type Verdict, type VerdictResult } from './policy/evaluate.js';
export { judgeCell, type CellFacts, type Judgement } from './policy/judge-cell.js';
export { diagnoseSender } from './policy/diagnose-sender.js';
export { loadPolicy } from './policy/load-policy.js';
export type { Policy, PolicyRule } from './policy/policy-schema.js';

// TLS reports (RFC 8460): read as they arrive (JSON, gzip, a mail), validated, summarized, and written.
export { readTlsReports, TLSRPT_LIMITS, TLSRPT_MEDIA_TYPES, type ReadTlsReportsOptions, type TlsReportsRead } from './tlsrpt/read-tlsrpt.js';
export { readTlsReportFile } from './tlsrpt/read-tlsrpt-file.js';
export { validateTlsReport, RESULT_TYPES, POLICY_TYPES, type TlsReport, type TlsPolicyReport, type TlsPolicy, type TlsFailureDetail, type PolicyType, type ResultType, type KnownResultType } from './tlsrpt/tlsrpt-schema.js';
export { buildTlsReport, tlsReportMessage, tlsReportFilename, type TlsReportInput, type TlsPolicyInput, type TlsFailureInput, type TlsReportMessageOptions } from './tlsrpt/build-tlsrpt.js';
export { summarizeTlsReports, type TlsReportRow, type TlsFailureRow } from './tlsrpt/summarize-tlsrpt.js';

// The run document and its reports.
export type { RunDocument, Cell, RunSender, RunProfile, RunSchedule, Inconclusive, BounceEvidence } from './document/run-document.js';
export { SCHEMA_VERSION } from './document/run-document.js';
export { FORMAT_NAMES } from './report/registry.js';
export type { RenderOutput } from './report/renderer.js';
export { BadmxError, type BadmxErrorCode } from './errors.js';
export { SenderError } from './senders/sender.js';

// The CLI itself, in process: main(argv, io) returns the exit status and touches nothing but io.
export { main } from './cli/main.js';
export { processIo, type CliIo, type CliOutput, type CliInput } from './cli/cli-io.js';
export { exitCodeFor, runExitCode, EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_RUNTIME, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE } from './cli/exit-codes.js';

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
