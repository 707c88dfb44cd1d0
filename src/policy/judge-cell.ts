import type { Outcome } from '../classify/outcome.js';
import { isDelivered } from '../classify/outcome.js';
import type { VerdictResult, Verdict } from './evaluate.js';
import { isTlsRefusal } from './tls-refusal.js';

/** What the sender said when the probe was handed to it (the run's record of the last attempt). */
export interface SubmissionFacts {
  accepted: boolean;
  final: boolean;
  detail: string;
  attempts: number;
  /** Why it was not accepted: could not talk to the sender, a temporary or a permanent refusal. */
  failure?: { kind: 'unreachable' | 'temporary' | 'permanent'; code: number | null } | null;
}

/** A delivery status notification for the probe (its action, status and diagnostic). */
export interface BounceFacts {
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  status: string | null;
  diagnostic: string | null;
}

export interface CellFacts {
  outcome: Outcome;
  /** Connections the receiver recorded for this probe. */
  connections: number;
  settled: boolean;
  /** Null when the probe was never handed to the sender. */
  submission: SubmissionFacts | null;
  bounces: BounceFacts[];
  /** The receiver's TLSA records fail DNSSEC validation on purpose (dane-bogus): see isTlsRefusal. */
  tlsaBogus?: boolean;
  /**
   * The sender's own words (its final word or bounce) quote this receiver's refusing greeting
   * (tampering.greeting, which names the receiver's MX host): it met the receiver and quit before
   * EHLO, so no connection could be attributed to it. The quote, else absent.
   */
  quotedGreeting?: string | null;
}

export interface Judgement {
  verdict: Verdict;
  reason: string;
  inconclusive: { cause: InconclusiveCause; detail: string } | null;
}

export type InconclusiveCause = 'not-submitted' | 'submission-failed' | 'submission-refused' | 'no-control' | 'no-attempt' | 'bounced-untested' | 'earlier-phase' | 'policy-unavailable';

/**
 * The verdict of one cell: the policy's, when the cell is evidence of what the sender did
 * with the probe; `inconclusive` when it is not. A cell is evidence when the receiver saw the
 * sender (a delivery, a refusal it made at the receiver), or the sender refused for TLS in
 * its own words, and the sender has shown on a control that its path to the receivers works.
 *
 * Judging is pure: it reads what was recorded and nothing else.
 *
 * @param policy the policy's verdict for the cell's outcome (evaluate.ts)
 * @param diagnosis the sender's canary diagnosis (diagnose-sender.ts): null when it delivered to a control
 * @param stopped why probes may not have been handed over (the run's error), if it stopped early
 */
export function judgeCell(facts: CellFacts, policy: VerdictResult, diagnosis: string | null, stopped: string | null = null): Judgement {
  const judged = (extra = ''): Judgement => ({ verdict: policy.verdict, reason: `${policy.reason}${extra}`, inconclusive: null });
  const inconclusive = (cause: InconclusiveCause, detail: string): Judgement => ({
    verdict: 'inconclusive',
    reason: `not tested: ${detail}`,
    inconclusive: { cause, detail },
  });
  const failed = facts.bounces.find((b) => b.action === 'failed');
  const said = failed ? `; the sender's bounce: ${[failed.status, failed.diagnostic].filter(Boolean).join(' ') || '(no diagnostic)'}` : '';

  // A delivery is evidence whatever else happened: the receiver holds the message.
  if (isDelivered(facts.outcome)) return judged();

  const submission = facts.submission;
  if (!submission) {
    // A sender whose controls failed may have had the rest of its probes held back (run-matrix.ts fails fast).
    if (diagnosis !== null && stopped === null) return inconclusive('no-control', diagnosis);
    return inconclusive('not-submitted', stopped ? `the probe was never handed to the sender (the run stopped: ${stopped})` : 'the probe was never handed to the sender');
  }
  // The sender's own words quote this receiver's refusing greeting: it met the receiver, even
  // where no connection names it (it quit before EHLO), and even if it then called the probe failed.
  if (facts.connections === 0 && facts.quotedGreeting && diagnosis === null) {
    const how = `did not deliver (it met this receiver's refusing greeting and quit before EHLO, so no connection names it; its own words quote the greeting: "${facts.quotedGreeting}")`;
    return { verdict: policy.verdict, reason: policy.reason.replace(/^never connected/, how), inconclusive: null };
  }
  if (!submission.accepted && facts.connections === 0) {
    const tries = `${submission.attempts} attempt${submission.attempts === 1 ? '' : 's'}`;
    const kind = submission.failure?.kind ?? 'permanent';
    if (kind === 'unreachable' || kind === 'temporary') {
      return inconclusive('submission-failed', `the sender could not take the probe after ${tries}: ${submission.detail}`);
    }
    // Whatever its words, a refused submission is about the submission channel, not the receiver.
    return inconclusive('submission-refused', `the sender refused the probe at submission, so it never reached a receiver: ${submission.detail}`);
  }
  if (diagnosis !== null) return inconclusive('no-control', diagnosis);

  if (facts.connections === 0) {
    if (failed) {
      return isTlsRefusal({ status: failed.status, text: failed.diagnostic }, { tlsaBogus: facts.tlsaBogus ?? false })
        ? judged(`; on the sender's bounce alone, no connection reached the receiver${said.replace(/^; the sender's bounce/, '')}`)
        : inconclusive('bounced-untested', `the sender gave up without contacting the receiver, not for TLS: ${[failed.status, failed.diagnostic].filter(Boolean).join(' ') || 'its bounce gave no reason'}`);
    }
    // Its own final word about the delivery (a managed MTA's log), about TLS.
    if (submission.accepted && submission.final && facts.settled && isTlsRefusal({ text: submission.detail }, { tlsaBogus: facts.tlsaBogus ?? false })) return judged();
    if (facts.settled) {
      // Settled by a delay notice or a stated retry model: nothing the sender did reached the receiver either way.
      if (facts.bounces.some((b) => b.action === 'delayed')) {
        return inconclusive('no-attempt', 'the sender deferred without contacting the receiver (its delay notice), so nothing it would do there is on record');
      }
      return inconclusive('no-attempt', `the sender gave up without contacting the receiver: ${submission.detail}`);
    }
    return inconclusive('no-attempt', 'the sender accepted the probe but never contacted the receiver before the deadline, and sent no bounce');
  }
  return judged(said);
}
