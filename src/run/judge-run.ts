import { attributeConnections } from '../classify/attribute.js';
import { classifyProbe } from '../classify/classify-probe.js';
import { certificateRole } from '../certs/served-certificate.js';
import { diagnoseSender } from '../policy/diagnose-sender.js';
import { evaluate, ruleFor } from '../policy/evaluate.js';
import { judgeCell } from '../policy/judge-cell.js';
import type { Policy } from '../policy/policy-schema.js';
import type { Probe } from '../probes/probe.js';
import type { Addressing } from '../profiles/addressing.js';
import type { FleetMember } from '../receivers/fleet.js';
import type { Classification } from '../classify/outcome.js';
import { isPublicZone } from '../profiles/naming.js';
import { declaredStsMode, isControlProfile } from '../profiles/profile-role.js';
import { judgedProfile, phaseCount } from '../profiles/profile-phases.js';
import type { Profile } from '../profiles/profile-schema.js';
import type { ReceiverEvent } from '../recorder/events.js';
import { builtinHeloName } from '../senders/builtin-sender.js';
import { policyFetchesOf } from '../classify/policy-fetches.js';
import { tlsaQueriesOf } from '../classify/tlsa-queries.js';
import { injectionSignal, readAttack } from '../classify/attack.js';
import { senderTlsClient } from '../classify/client-hellos.js';
import type { RetryModel, SendResult, Sender } from '../senders/sender.js';
import { formatDuration } from '../text/duration.js';
import { VERSION } from '../version.js';
import { bouncesByProbe, mailboxConnections } from './bounce-evidence.js';
import { certificateCaveat, daneCaveat, trustsHarnessRoot } from './certificate-caveat.js';
import { hopEvidence } from './hop-evidence.js';
import type { ArrivedTlsReport, RecordedFacts } from './recorded-facts.js';
import { summarizeTlsReports } from '../tlsrpt/summarize-tlsrpt.js';
import { summarizeCells } from '../document/summarize-cells.js';
import { SCHEMA_VERSION, type Cell, type CellSettle, type RunDocument, type RunSender, type RunTlsReport } from '../document/run-document.js';
import type { SenderSchedule, StepWindow } from './run-schedule.js';

/**
 * The judging stage: what the receivers recorded (RecordedFacts), what each sender said
 * of each probe, and the schedule's windows, become the run document: connections
 * attributed to probes, each probe classified into an outcome, each sender diagnosed by its
 * controls, each cell judged against the policy. A pure function: it reads no file and no
 * clock (`finishedAt` is given), so the same facts always make the same document, whether a
 * run just ended, a crashed run resumed, or `badmx status` looks at one still going.
 */
export interface JudgeRunInput {
  plan: {
    runId: string;
    startedAt: string;
    senders: readonly (Pick<Sender, 'label' | 'spec' | 'kind' | 'notes' | 'software'> & { retries?: RetryModel | null | undefined })[];
    policy: Policy;
    profiles: readonly Profile[];
    zone: string;
    waitMs: number;
    addressing: Addressing;
    probes: readonly Probe[];
    /** How its senders shared the receivers: the built-in senders' EHLO names are their own only in a run that ran them side by side. */
    schedule?: SenderSchedule | undefined;
  };
  /** The fleet as it served: each profile's names, address and certificate. */
  members: readonly FleetMember[];
  caFile: string;
  /** The probes' own domain (probes.<zone>): mail for it is bounces, not probe traffic. */
  mailboxDomain: string;
  /** Where the harness DNS answered, when the run served it. */
  dns: string | null;
  facts: RecordedFacts;
  /** Each probe's submission, or the sender's final word on it. */
  results: ReadonlyMap<string, SendResult>;
  /** When each probe's submission ended: where its wait starts. */
  submittedAt: ReadonlyMap<string, string>;
  windows: readonly StepWindow[];
  /** When the run was resumed; connections a crash cut off before the last of them are over. */
  resumes: readonly string[];
  /** Why the run broke off, or null. */
  error: string | null;
  /** `running` for `badmx status` of a run still going; `interrupted` when a step was cut short (Ctrl-C): --resume continues it. */
  status?: 'running' | 'interrupted';
  /** The clock value the document is stamped with. */
  finishedAt: string;
}

/** What the receivers' capacity notices say, one line each (the event log's cap, the message store's). */
function limitsHit(events: readonly ReceiverEvent[]): string[] {
  const lines: string[] = [];
  for (const e of events) {
    if (e.type === 'log-full') lines.push(`the event log reached its cap (${e.maxBytes} octets) at ${e.time}: after it only evidence was written, commands and replies were dropped`);
    if (e.type === 'store-full') lines.push(`the message store reached its cap (${e.maxBytes} octets) at ${e.time}: later messages were recorded but not kept`);
  }
  return lines;
}

/** Connections open when the run died that had not delivered anything (a delivery stands, cut or not). */
function crashCut(events: readonly ReceiverEvent[], resumedAt: string): Set<string> {
  const started = new Map<string, string>();
  const closed = new Set<string>();
  for (const e of events) {
    if (!e.conn) continue;
    if (!started.has(e.conn)) started.set(e.conn, e.time);
    if (e.type === 'close' || (e.type === 'data' && e.accepted)) closed.add(e.conn);
  }
  return new Set([...started].filter(([conn, time]) => time < resumedAt && !closed.has(conn)).map(([conn]) => conn));
}

export function judgeRun(input: JudgeRunInput): RunDocument {
  const { plan: options, results, windows, facts } = input;
  const probes = [...options.probes];
  const fleet = { members: input.members, caFile: input.caFile, publicZone: isPublicZone(options.zone) };
  const mailbox = input.mailboxDomain;
  const lastResume = input.resumes.at(-1);
  const recorded = facts.events;
  // Connections a crash cut off (open when the run died, never closed) were ended by badmx, not
  // by the sender: not its attempts. (A sender whose TLS session the crash cut would otherwise
  // look like one that tried TLS and fell back.)
  const cut = lastResume === undefined ? new Set<string>() : crashCut(recorded, lastResume);
  const events = recorded.filter((e) => !cut.has(e.conn));
  // Mail for the probes' domain is what senders say about probes (bounces), not an attempt at a profile.
  const bounceConns = mailboxConnections(events, mailbox, new Set(probes.map((p) => p.recipient.toLowerCase())));
  const attribution = attributeConnections(
    events.filter((e) => !bounceConns.has(e.conn)),
    probes,
    [...windows],
    // A run planned by an earlier badmx had one EHLO name for every built-in sender.
    options.schedule === 'concurrent' ? new Map(options.senders.flatMap((sender) => (sender.kind === 'builtin' ? [[sender.label, builtinHeloName(sender.label)] as const] : []))) : new Map(),
  );
  const bounces = bouncesByProbe(events, probes, facts.bounces, mailbox);
  const profiles = new Map(options.profiles.map((p) => [p.name, p]));
  const trusts = new Map(options.senders.map((sender) => [sender.label, trustsHarnessRoot(sender.kind, fleet.publicZone)]));

  // First what each probe's receiver saw, then the sender's canary diagnosis, then the verdicts.
  const observed = probes.map((probe) => {
    const profile = profiles.get(probe.profile) as Profile;
    const classification = classifyProbe(attribution.byProbe.get(probe.id) ?? [], probe);
    const result = results.get(probe.id) ?? null;
    const submission = result
      ? { accepted: result.accepted, final: result.final, detail: result.detail, attempts: result.attempts ?? 1, failure: result.failure ?? null }
      : null;
    const own = bounces.get(probe.id) ?? [];
    const delivered = classification.received !== null;
    const lastClose = classification.evidence.every((c) => c.end !== null || (lastResume !== undefined && c.start < lastResume));
    const settle = settleOf({
      delivered: delivered ? classification.lastSeen : null,
      bounces: own,
      submission,
      submittedAt: input.submittedAt.get(probe.id) ?? null,
      waitEnd: windows.filter((w) => w.sender === probe.sender && w.profiles.includes(probe.profile)).at(-1)?.end ?? null,
      retries: options.senders.find((s) => s.label === probe.sender)?.retries ?? null,
      waitMs: options.waitMs,
      open: !lastClose,
    });
    return { probe, profile, classification, submission, bounces: own, settled: settle.by !== null && lastClose, settle };
  });
  const diagnoses = new Map(
    options.senders.map((sender) => {
      const own = observed.filter((o) => o.probe.sender === sender.label);
      const queries = windows.filter((w) => w.sender === sender.label).map((w) => w.dnsQueries);
      const dnsQueries = queries.length === 0 || queries.some((q) => q === null || q === undefined) ? null : queries.reduce<number>((sum, q) => sum + (q ?? 0), 0);
      const diagnosis = diagnoseSender(
        own.map((o) => ({
          control: isControlProfile(o.profile),
          outcome: o.classification.outcome,
          evidence: o.classification.evidence,
          submission: o.submission,
          bounces: o.bounces,
        })),
        { caFile: fleet.caFile, dns: input.dns, dnsQueries, resolves: sender.kind !== 'builtin', trustsHarnessRoot: trusts.get(sender.label) ?? true },
      );
      return [sender.label, diagnosis] as const;
    }),
  );

  // badmx's built-in senders name themselves (their EHLO name) in the User-Agent of their policy fetches.
  const agentNames = new Map(options.senders.flatMap((sender) => (sender.kind === 'builtin' ? [[sender.label, builtinHeloName(sender.label)] as const] : [])));
  // Senders that resolve through a validating resolver of their own (a `sender-resolver` event names it).
  const withResolver = new Set(facts.events.flatMap((e) => (e.type === 'sender-resolver' ? [e.sender] : [])));
  const probeCells: Cell[] = observed.map(({ probe, profile, classification, submission, bounces: own, settled, settle }) => {
    // A multi-phase profile is judged as its last phase, holding the policy of its first (profile-phases.ts).
    const member = fleet.members.find((m) => m.name === probe.profile);
    const injected = profile.tampering?.injection ? injectionSignal(classification.evidence) : null;
    const policyVerdict = evaluate(options.policy, asPresented(judgedProfile(profile), classification, member), { ...classification, injected });
    // Whether the sender asked for the TLSA records: only a run whose harness DNS watched them can say (none in external DNS mode).
    const tlsaQueries = member?.tlsa && input.dns !== null ? tlsaQueriesOf(facts.events, { sender: probe.sender, profile: probe.profile }, windows) : undefined;
    // At dane-bogus, "TLSA lookup failed" in the sender's words counts only if the harness DNS
    // answered its resolver's TLSA query (the bogus RRset reached it), not a resolver that failed anyway.
    // (From its own resolver when it has one; a sender without one asks from an address it shares.)
    const servedBogus =
      profile.dane?.dnssec === 'bogus' && (tlsaQueries ?? []).some((q) => q.rcode === 'NOERROR' && (q.by === 'sender' || !withResolver.has(probe.sender)));
    const judgement = judgeCell(
      {
        outcome: classification.outcome,
        connections: classification.connections,
        settled,
        submission,
        bounces: own,
        tlsaBogus: servedBogus,
        quotedGreeting: member && profile.tampering?.greeting !== undefined ? quotedGreeting(member.hostname, submission, own) : null,
      },
      policyVerdict,
      diagnoses.get(probe.sender) ?? null,
      input.error,
    );
    // Stored messages are named relative to the run directory, as facts.messages keys them.
    const hops = member
      ? hopEvidence(classification.message === null ? null : (facts.receivedChains.get(classification.message) ?? null), member.hostname, classification.tls)
      : { hops: null, evidenceMismatch: null };
    return {
      sender: probe.sender,
      profile: probe.profile,
      probe: { id: probe.id, recipient: probe.recipient, messageId: probe.messageId },
      outcome: classification.outcome,
      verdict: judgement.verdict,
      reason: judgement.reason,
      inconclusive: judgement.inconclusive,
      tls: classification.tls,
      alert: classification.alert,
      connections: classification.connections,
      firstSeen: classification.firstSeen,
      lastSeen: classification.lastSeen,
      settled,
      settle,
      submission: submission ? { accepted: submission.accepted, final: submission.final, detail: submission.detail, attempts: submission.attempts } : null,
      bounces: own,
      received: classification.received,
      message: classification.message,
      hops: hops.hops,
      evidenceMismatch: hops.evidenceMismatch,
      caveat:
        certificateCaveat({
          role: certificateRole(profile),
          source: member?.served.source ?? null,
          trustsHarnessRoot: trusts.get(probe.sender) ?? true,
          outcome: classification.outcome,
          issuer: profile.certificate.issuer,
          title: profile.title,
        }) ?? daneCaveat({ publicZone: fleet.publicZone, declaresDane: profile.dane !== undefined }),
      evidence: classification.evidence,
      misdirected: (attribution.misdirected.get(probe.id) ?? []).length,
      // Only where the profile declares a policy: a policy host is there to be asked.
      // A phase's probe sees its own phase's windows only (a multi-phase profile's phases are steps of their own).
      ...(member?.sts
        ? { policyFetches: policyFetchesOf(facts.events, { sender: probe.sender, profile: probe.profile }, { names: agentNames, windows: windows.filter((w) => (w.phase ?? 1) === (probe.phase ?? 1)) }) }
        : {}),
      // Only where the profile publishes TLSA records and the harness DNS watched: whether the sender asked for them.
      ...(tlsaQueries ? { tlsaQueries } : {}),
      ...attackOf(profile, classification, judgement.verdict !== 'inconclusive'),
    };
  });
  const cells = withoutPolicy(foldPhases(probeCells, options.probes, profiles), profiles);

  // What each sender offered in its handshakes, from the ClientHellos of the connections attributed to it.
  const tlsClientOf = (label: string): Pick<RunSender, 'tlsClient'> => {
    const connections = observed.filter((o) => o.probe.sender === label).flatMap((o) => o.classification.evidence.map((c) => ({ conn: c.conn, profile: o.probe.profile })));
    const tlsClient = senderTlsClient(events, connections);
    return tlsClient ? { tlsClient } : {};
  };
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
      diagnosis: diagnoses.get(sender.label) ?? null,
      retries: sender.retries ?? null,
      ...tlsClientOf(sender.label),
    };
  });

  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'badmx', version: VERSION },
    run: {
      id: options.runId,
      status: input.status ?? (input.error ? 'error' : 'complete'),
      error: input.error,
      startedAt: options.startedAt,
      finishedAt: input.finishedAt,
      zone: options.zone,
      waitMs: options.waitMs,
      caFile: fleet.caFile,
      events: 'events.jsonl',
      limitsHit: limitsHit(recorded),
    },
    policy: options.policy,
    profiles: options.profiles.map((profile) => {
      const { served, sts, tlsa, revocation, ...member } = fleet.members.find((m) => m.name === profile.name) as FleetMember;
      const rule = ruleFor(options.policy, judgedProfile(profile));
      return {
        ...member,
        slot: profile.slot,
        starttls: profile.starttls,
        tls: profile.tls,
        certificate: profile.certificate,
        expected: { expect: rule.expect, minVersion: rule.minVersion ?? null, because: rule.because },
        // What a failure here risks and the rules it touches, as the catalogue says: absent for a profile that says neither.
        ...(profile.risk !== undefined ? { risk: profile.risk } : {}),
        ...(profile.rules !== undefined ? { rules: profile.rules } : {}),
        suite: profile.suite,
        mtaSts: profile.mtaSts ?? null,
        sts: sts ?? null,
        dane: profile.dane ?? null,
        tampering: profile.tampering ?? null,
        // A journal from before the DANE suite holds members without it.
        tlsa: tlsa ?? null,
        // A journal from before it holds members without it; only a revoked profile has one.
        ...(revocation ? { revocation } : {}),
        served,
      };
    }),
    senders,
    cells,
    summary: summarizeCells(cells),
    stray: { connections: attribution.stray.length },
    schedule: {
      mode: options.addressing.kind === 'shared' ? 'sequential' : 'parallel',
      address: options.addressing.kind === 'shared' ? `${options.addressing.address}:${options.addressing.port}` : null,
      steps: windows.map((w) => ({ sender: w.sender, profiles: w.profiles, start: w.start, end: w.end, settled: w.settled, dnsQueries: w.dnsQueries ?? null, ...(w.phase === undefined ? {} : { phase: w.phase }) })),
      resumes: [...input.resumes],
    },
    tlsReports: facts.tlsReports.map((arrived) => runTlsReport(arrived, fleet.members, agentNames)),
  };
}

/**
 * One cell per (sender, profile): a multi-phase profile's probes fold into the cell of its last
 * phase, the earlier ones kept as `phases`. An earlier phase that the sender did not deliver
 * over TLS leaves the last phase untested (sts-cached-downgrade: a sender that never fetched a
 * valid policy in phase 1 has nothing to honour in phase 2): the cell is inconclusive, saying so.
 */
function foldPhases(cells: Cell[], probes: readonly Probe[], profiles: ReadonlyMap<string, Profile>): Cell[] {
  const phaseOf = new Map(probes.map((p) => [p.id, p.phase ?? 1]));
  const last = new Map<string, Cell>();
  for (const cell of cells) {
    const key = `${cell.sender}\u0000${cell.profile}`;
    const seen = last.get(key);
    if (!seen || (phaseOf.get(cell.probe.id) ?? 1) > (phaseOf.get(seen.probe.id) ?? 1)) last.set(key, cell);
  }
  return cells.flatMap((cell) => {
    const profile = profiles.get(cell.profile);
    if (!profile || phaseCount(profile) === 1) return [cell];
    const final = last.get(`${cell.sender}\u0000${cell.profile}`);
    if (final !== cell) return [];
    const earlier = cells
      .filter((c) => c.sender === cell.sender && c.profile === cell.profile && c !== cell)
      .sort((a, b) => (phaseOf.get(a.probe.id) ?? 1) - (phaseOf.get(b.probe.id) ?? 1))
      .map((c) => {
        const phase = phaseOf.get(c.probe.id) ?? 1;
        return {
          phase,
          title: phase === 1 ? profile.title : (profile.phases?.[phase - 2]?.title ?? `phase ${phase}`),
          probe: c.probe,
          outcome: c.outcome,
          tls: c.tls,
          connections: c.connections,
          ...(c.policyFetches ? { policyFetches: c.policyFetches } : {}),
        };
      });
    const unmet = earlier.find((p) => p.outcome !== 'delivered-tls');
    if (!unmet || cell.verdict === 'inconclusive') return [{ ...cell, phases: earlier }];
    const detail = `in phase ${unmet.phase} (${unmet.title}) the sender did not deliver over TLS (${unmet.outcome}), so what it did in phase ${phaseOf.get(cell.probe.id) ?? 1} says nothing about what it learnt there`;
    return [{ ...cell, phases: earlier, verdict: 'inconclusive' as const, reason: `not tested: ${detail}`, inconclusive: { cause: 'earlier-phase' as const, detail } }];
  });
}

/**
 * A cell judged against an enforced MTA-STS policy is evidence only if the sender could have
 * had the policy. One whose own records at the policy host (named by it, or alone in its
 * window) show attempts that all failed (a broken-off handshake, no 200) never got it, and
 * RFC 8461 §3.3 then says to deliver as though there were none: the cell says nothing about
 * whether it honours the policy, and is inconclusive. A sender with no attempt on record is
 * judged: it never looked, which is what not implementing MTA-STS looks like.
 */
export function withoutPolicy(cells: Cell[], profiles: ReadonlyMap<string, Profile>): Cell[] {
  return cells.map((cell) => {
    const profile = profiles.get(cell.profile);
    if (!profile || cell.verdict === 'inconclusive' || declaredStsMode(judgedProfile(profile)) !== 'enforce') return cell;
    const own = [...(cell.phases ?? []).flatMap((p) => p.policyFetches ?? []), ...(cell.policyFetches ?? [])].filter((f) => f.by === 'sender' && f.kind !== 'report');
    if (own.length === 0 || own.some((f) => f.kind === 'fetch' && f.status === 200)) return cell;
    const what = own.map((f) => (f.kind === 'tls-failed' ? `handshake broken off${f.alert ? ` (${f.alert})` : ''}` : `HTTP ${f.status ?? '?'}`));
    const detail = `the sender tried to fetch the domain's MTA-STS policy ${own.length} time(s) and never got it (${[...new Set(what)].join(', ')}), so it had no policy to honour (RFC 8461 §3.3)`;
    return { ...cell, verdict: 'inconclusive' as const, reason: `not tested: ${detail}`, inconclusive: { cause: 'policy-unavailable' as const, detail } };
  });
}

/** A report as run.json keeps it: who sent it (a built-in sender's name as submitter), and which profile each policy is about. */
function runTlsReport(arrived: ArrivedTlsReport, members: readonly FleetMember[], names: ReadonlyMap<string, string>): RunTlsReport {
  const read = arrived.read;
  const submitter = read?.submitter ?? null;
  const organizations = read ? read.reports.map((r) => r['organization-name']) : [];
  const sender = [...names].find(([label, name]) => submitter === name || organizations.includes(label))?.[0] ?? null;
  return {
    received: arrived.time,
    via: arrived.via,
    file: arrived.file,
    from: arrived.from,
    sender,
    submitter,
    policies: read
      ? summarizeTlsReports(read.reports).map((row) => ({ ...row, profile: members.find((m) => m.domain === row.policyDomain.toLowerCase().replace(/\.$/, ''))?.name ?? null }))
      : [],
    error: arrived.error,
  };
}

/** How long a stated retry model lasts from the submission: every delay, and the last attempt's time to show up. */
export function retryModelSpan(model: RetryModel): number {
  return model.delaysMs.reduce((sum, delay) => sum + delay, 0) + model.attemptMs;
}

/** "none" or "after 5 min, 10 min" (each attempt within 1 min). */
function describeRetries(model: RetryModel): string {
  const retries = model.delaysMs.length === 0 ? 'no retry' : `retries after ${model.delaysMs.map(formatDuration).join(', ')}`;
  return `${retries}, each attempt within ${formatDuration(model.attemptMs)}`;
}

/**
 * What settled a cell, or why nothing did, and how long was waited: from what was recorded
 * alone. The outcome can no longer change once the probe was delivered; once the sender said
 * it gave up (a failure notification, its own final word); once it said it deferred (a delay
 * notice: its retries go to the same receiver, which answers the same); or once the retries
 * the user stated for it are due and over. A connection still open when the wait ended leaves
 * the record incomplete, whatever settled it.
 */
export function settleOf(input: {
  /** When the delivery was last seen, or null when it was not delivered. */
  delivered: string | null;
  bounces: readonly { at: string; action: string }[];
  submission: { accepted: boolean; final: boolean; detail: string } | null;
  submittedAt: string | null;
  waitEnd: string | null;
  retries: RetryModel | null;
  waitMs: number;
  open: boolean;
}): CellSettle {
  const from = input.submittedAt === null ? null : Date.parse(input.submittedAt);
  const since = (at: string | null): number | null => (from === null || at === null ? null : Math.max(0, Date.parse(at) - from));
  const still = input.open ? '; but a connection was still open when the wait ended, so the record may be incomplete' : '';
  const failed = input.bounces.find((b) => b.action === 'failed');
  const delayed = input.bounces.find((b) => b.action === 'delayed');
  if (input.delivered !== null) {
    const waited = since(input.delivered);
    return { by: 'delivery', waitedMs: waited, note: `delivered: nothing the sender does later changes what it did${still}` };
  }
  if (failed) {
    const waited = since(failed.at);
    return { by: 'bounce', waitedMs: waited, note: `the sender gave up and said so (its failure notice)${still}` };
  }
  if (input.submission?.final) {
    const waited = since(input.waitEnd);
    return { by: 'final-word', waitedMs: waited, note: `the sender's own word: no further attempt (${input.submission.detail})${still}` };
  }
  if (delayed) {
    const waited = since(delayed.at);
    return { by: 'delay-notice', waitedMs: waited, note: `the sender deferred and said so (its delay notice): its retries meet the same receiver, which answers the same${still}` };
  }
  if (from === null) return { by: null, waitedMs: null, note: 'never submitted: nothing was waited for' };
  const waited = since(input.waitEnd);
  if (input.retries && input.submission?.accepted) {
    const span = retryModelSpan(input.retries);
    if (waited !== null && waited >= span) {
      return { by: 'retry-model', waitedMs: span, note: `its retries as stated (${describeRetries(input.retries)}) were over: no attempt was left${still}` };
    }
    return {
      by: null,
      waitedMs: waited,
      note: `the wait (--wait ${formatDuration(input.waitMs)}) ended before its retries as stated (${describeRetries(input.retries)}), which last ${formatDuration(span)}: a later attempt could still deliver`,
    };
  }
  return {
    by: null,
    waitedMs: waited,
    note: `no delivery, no notice from the sender, no final word${input.retries === null ? ' and no retries= stated' : ''} by the end of the wait (--wait ${formatDuration(input.waitMs)}): a later attempt could still deliver`,
  };
}

/**
 * The profile as the sender met it, where that depends on the sender: a receiver that requires
 * SNI (tls.sni "required") presented its own certificate only to a client that named it, and a
 * trusted certificate for other names to any other. A delivery over a session whose SNI named
 * neither the MX host nor the recipient domain went to that wrong-name certificate, and is judged
 * as at a wrong-name receiver. Every other cell: the profile as declared.
 */
function asPresented(profile: Profile, classification: Classification, member: Pick<FleetMember, 'hostname' | 'domain'> | undefined): Profile {
  if (profile.tls.sni !== 'required' || classification.outcome !== 'delivered-tls' || !member) return profile;
  const delivering = classification.evidence.find((c) => c.tls !== null && c.data?.accepted === true);
  const sni = delivering?.tls?.sni?.toLowerCase().replace(/\.$/, '') ?? null;
  if (sni === member.hostname.toLowerCase() || sni === member.domain.toLowerCase()) return profile;
  return { ...profile, certificate: { ...profile.certificate, names: 'elsewhere' } };
}

/** The tampering suite's reading of a judged cell (classify/attack.ts), as a field to spread: none elsewhere. */
function attackOf(profile: Profile, classification: Classification, tested: boolean): Pick<Cell, 'attack'> {
  const attack = readAttack(profile.tampering, { outcome: classification.outcome, evidence: classification.evidence, tested });
  return attack ? { attack } : {};
}

/**
 * The refusing greeting of a tampering.greeting receiver (receiver-connection.ts _sendGreeting:
 * `<code> <MX host> No SMTP service here`) as the sender's final word or a bounce quotes it.
 * The MX host's name makes the quote this receiver's, and the sender's words make it this
 * sender's: what a connection that quit before EHLO cannot say.
 */
function quotedGreeting(hostname: string, submission: { detail: string } | null, bounces: readonly { diagnostic: string | null }[]): string | null {
  // The code is kept when quoted, not required: a sender may quote the text alone (badmx's built-in senders say "banner …").
  const greeting = `${hostname} No SMTP service here`.toLowerCase();
  for (const words of [submission?.detail ?? null, ...bounces.map((b) => b.diagnostic)]) {
    const at = words?.toLowerCase().indexOf(greeting) ?? -1;
    if (words && at >= 0) {
      const start = /\b\d{3}[ -]$/.test(words.slice(Math.max(0, at - 4), at)) ? at - 4 : at;
      return words.slice(start, at + greeting.length);
    }
  }
  return null;
}
