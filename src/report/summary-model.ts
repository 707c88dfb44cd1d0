import type { Cell, RunDocument, RunProfile } from '../document/run-document.js';
import { deliveryFault, type FaultKind } from './cell-label.js';

/**
 * The key numbers of a run and its one-paragraph executive summary: per sender, how many of its
 * tests it failed, by kind of failure ("delivered in plaintext in 2 of 14 tests"), as the study
 * did. A pure function of run.json: every number is a count of its cells, and each count keeps
 * the cells it counted (sender × profile) so that a reader, and the tests, can trace it.
 */

/** Each kind of failure a cell is counted under: a fault kind of a failed delivery, or a failed cell that did not deliver, or any other failure. */
export type FailureKind = FaultKind | 'not-delivered' | 'other';

/** The kinds in the order reports show them, each as the words that read before "in x of y tests". */
export const FAILURE_WORDS: Record<FailureKind, string> = {
  plaintext: 'delivered in plaintext',
  downgraded: 'downgraded to plaintext after STARTTLS or TLS failed',
  tampering: 'downgraded after tampering',
  injection: 'acted on injected plaintext',
  certificate: 'delivered to an invalid certificate',
  'retired-tls': 'delivered over retired TLS 1.0/1.1',
  'weak-crypto': 'delivered over weak cryptography',
  policy: 'delivered against a published DANE or MTA-STS policy',
  'not-delivered': 'did not deliver where it should have',
  other: 'failed otherwise',
};

/** The same kinds in a word or two, for the key-numbers strip. */
export const FAILURE_SHORT: Record<FailureKind, string> = {
  plaintext: 'plaintext',
  downgraded: 'downgraded',
  tampering: 'downgraded by tampering',
  injection: 'injection',
  certificate: 'invalid certificate',
  'retired-tls': 'retired TLS',
  'weak-crypto': 'weak crypto',
  policy: 'policy ignored',
  'not-delivered': 'not delivered',
  other: 'other',
};

const KIND_ORDER = Object.keys(FAILURE_WORDS) as FailureKind[];

export interface FailureCount {
  kind: FailureKind;
  words: string;
  short: string;
  /** How many of the sender's cells failed this way: cells.length. */
  count: number;
  /** The profiles of those cells, in run order. */
  profiles: string[];
}

export interface SenderKeyNumbers {
  sender: string;
  /** The sender's cells: the "y" of "x of y tests". */
  tests: number;
  pass: number;
  fail: number;
  /** Not actually tested (never submitted, no control delivered, ...): neither pass nor fail. */
  inconclusive: number;
  /** The profiles of its inconclusive cells. */
  inconclusiveProfiles: string[];
  /** Its failures by kind, only the kinds that occur, in FAILURE_WORDS order; the counts add up to `fail`. */
  failures: FailureCount[];
}

export interface SummaryModel {
  receivers: number;
  senders: SenderKeyNumbers[];
  /** One paragraph, plain text (escape it for the format), made of the numbers above and nothing else. */
  paragraph: string;
}

/** The kind of failure a failed cell counts under. */
export function failureKind(cell: Cell, profile: RunProfile | undefined): FailureKind {
  if (profile) {
    const fault = deliveryFault(cell, profile);
    if (fault) return fault.kind;
  }
  if (cell.outcome === 'delivered-plaintext') return 'plaintext';
  if (cell.outcome === 'plaintext-after-tls-failure') return 'downgraded';
  if (cell.outcome !== 'delivered-tls') return 'not-delivered';
  return 'other';
}

/** "in 2 of 14 tests", "in 1 of 1 test". */
export function ofTests(count: number, tests: number): string {
  return `in ${count} of ${tests} test${tests === 1 ? '' : 's'}`;
}

/** One kind of failure as a phrase: "delivered in plaintext in 2 of 14 tests". */
export function failurePhrase(failure: Pick<FailureCount, 'words' | 'count'>, tests: number): string {
  return `${failure.words} ${ofTests(failure.count, tests)}`;
}

function senderSentence(s: SenderKeyNumbers): string {
  const inconclusive = s.inconclusive > 0 ? `; inconclusive ${ofTests(s.inconclusive, s.tests)}` : '';
  if (s.tests === 0) return `${s.sender} has no cells in this run.`;
  if (s.fail === 0) {
    return s.pass === 0 ? `${s.sender} was not tested: inconclusive ${ofTests(s.inconclusive, s.tests)}.` : `${s.sender} failed none of its ${s.tests} tests (passed ${s.pass})${inconclusive}.`;
  }
  return `${s.sender} failed ${s.fail} of ${s.tests} tests: ${s.failures.map((f) => failurePhrase(f, s.tests)).join(', ')}${inconclusive}.`;
}

/** The key numbers of a run, per sender in run order, and the paragraph that says them. */
export function buildSummaryModel(run: RunDocument): SummaryModel {
  const profiles = new Map(run.profiles.map((p) => [p.name, p]));
  const senders = run.senders.map((sender): SenderKeyNumbers => {
    const cells = run.cells.filter((c) => c.sender === sender.label);
    const failed = cells.filter((c) => c.verdict === 'fail');
    const byKind = new Map<FailureKind, string[]>();
    for (const cell of failed) {
      const kind = failureKind(cell, profiles.get(cell.profile));
      byKind.set(kind, [...(byKind.get(kind) ?? []), cell.profile]);
    }
    const inconclusive = cells.filter((c) => c.verdict === 'inconclusive');
    return {
      sender: sender.label,
      tests: cells.length,
      pass: cells.filter((c) => c.verdict === 'pass').length,
      fail: failed.length,
      inconclusive: inconclusive.length,
      inconclusiveProfiles: inconclusive.map((c) => c.profile),
      failures: KIND_ORDER.filter((k) => byKind.has(k)).map((kind) => {
        const list = byKind.get(kind) ?? [];
        return { kind, words: FAILURE_WORDS[kind], short: FAILURE_SHORT[kind], count: list.length, profiles: list };
      }),
    };
  });
  const lead = `${run.profiles.length} receiver${run.profiles.length === 1 ? '' : 's'} × ${senders.length} sender${senders.length === 1 ? '' : 's'}, judged against policy ${run.policy.name}.`;
  const paragraph = [lead, ...senders.map(senderSentence)].join(' ');
  return { receivers: run.profiles.length, senders, paragraph };
}

/** A sender's key numbers in one line: "FAIL 12 of 28 · plaintext 1 · invalid certificate 6 · inconclusive 2". */
export function keyNumbersLine(s: SenderKeyNumbers): string {
  return [
    `FAIL ${s.fail} of ${s.tests}`,
    ...s.failures.map((f) => `${f.short} ${f.count}`),
    ...(s.inconclusive > 0 ? [`inconclusive ${s.inconclusive}`] : []),
  ].join(' · ');
}
