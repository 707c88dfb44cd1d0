import type { Probe } from '../probes/probe.js';
import type { SendResult } from '../senders/sender.js';

/** How probes are handed to a sender (options normalized by the caller). */
export interface SubmitOptions {
  /** Probes in flight at once, per sender. A relay with a small listen backlog drops greetings when all come at once. */
  concurrency: number;
  /** No attempt starts after this (epoch ms): the step's deadline. */
  deadline: number;
  signal?: AbortSignal;
  /** Waits before each retry, in order; the last repeats. */
  backoffMs?: readonly number[];
}

export const DEFAULT_SUBMIT_CONCURRENCY = 4;
export const DEFAULT_BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000] as const;
/** A retry is not started when less than this is left before the deadline: the delivery needs time too. */
const RETRY_MARGIN_MS = 1_000;

/** One attempt, as it happened: what the run journals. */
export interface SubmitAttempt {
  probe: Probe;
  attempt: number;
  result: SendResult;
  /** Whether another attempt follows. */
  retrying: boolean;
}

/**
 * Hand each probe to the sender: at most `concurrency` at once, in the order given (the
 * caller puts the controls first), retrying what failed transiently (no connection, no
 * greeting, a reset, a 4xx reply: RFC 5321 §4.5.4.1 asks a client to retry those) with
 * backoff while the deadline allows. A send that throws is an unreachable sender. Every
 * attempt is reported; the promise resolves once every probe has a last result (or was
 * never started because the deadline or an abort came first: those have none).
 */
export async function submitProbes(
  probes: Probe[],
  send: (probe: Probe) => Promise<SendResult>,
  options: SubmitOptions,
  onAttempt: (attempt: SubmitAttempt) => void,
): Promise<Map<string, SendResult>> {
  const results = new Map<string, SendResult>();
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const queue = [...probes];
  const worker = async (): Promise<void> => {
    for (let probe = queue.shift(); probe; probe = queue.shift()) {
      for (let attempt = 1; ; attempt++) {
        if (options.signal?.aborted || Date.now() >= options.deadline) break;
        let result: SendResult;
        try {
          result = await send(probe);
        } catch (error) {
          result = { accepted: false, final: true, detail: `submission failed: ${(error as Error).message}`, failure: { kind: 'unreachable', code: null } };
        }
        result = { ...result, attempts: attempt };
        const wait = backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 1_000;
        const transient = !result.accepted && (result.failure?.kind === 'unreachable' || result.failure?.kind === 'temporary');
        const retrying = transient && Date.now() + wait + RETRY_MARGIN_MS < options.deadline && !options.signal?.aborted;
        results.set(probe.id, result);
        onAttempt({ probe, attempt, result, retrying });
        if (!retrying) break;
        await sleep(wait, options.signal);
      }
    }
  };
  // Every worker runs to its end (no send is left in flight behind a rejection); the first error is then thrown.
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(options.concurrency, probes.length)) }, () => worker()));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
