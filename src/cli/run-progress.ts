import { printable } from '../text/printable.js';
import type { RunProgress } from '../run/run-matrix.js';
import type { CliClock, CliOutput } from './cli-io.js';

/** How often a run without a terminal says it is still alive. */
export const HEARTBEAT_MS = 60_000;
/** How often the progress line on a terminal is redrawn (elapsed time and deadlines move on their own). */
export const REDRAW_MS = 1_000;
/** More senders than this share one summary in the progress line instead of one part each. */
const SENDERS_IN_LINE = 3;

export interface ProgressOptions {
  stream: CliOutput;
  clock: CliClock;
  /** --wait: each step's deadline is its start plus this. */
  waitMs: number;
  /** When the run started, in ms (a resumed run: its first start, from the journal). */
  startedAt: number;
  /**
   * A resumed run whose step was in progress at the crash: when that step began. It keeps its
   * original deadline (run-matrix.ts), so the first step this process runs counts from here.
   */
  resumedStepStart?: number | null;
  /** --quiet: no progress at all; only the lines that say something went wrong (a warning, a refusal, a sender without a control). */
  quiet?: boolean;
}

interface SenderState {
  settled: number;
  total: number;
  deadline: number;
  done: boolean;
  timedOut: boolean;
}

export type ProgressPrinter = ((p: RunProgress) => void) & {
  /** The current facts as one line (without "badmx: "): what the terminal line and the heartbeat show. */
  summary(): string;
  /** Stop the timers and end an open terminal line. */
  done(): void;
};

/**
 * Live progress on stderr. On a terminal: one line, redrawn on every event and every second,
 * with the elapsed time, each sender's settled/total and its deadline. Without one (a log, a
 * CI job, systemd's journal): a plain line per event, and a heartbeat line with the same facts
 * every minute, so a run waiting hours for a vendor's retries visibly still runs.
 */
export function progressPrinter(options: ProgressOptions): ProgressPrinter {
  const { stream, clock, waitMs, startedAt, quiet = false } = options;
  const tty = Boolean(stream.isTTY);
  let resumedStepStart = options.resumedStepStart ?? null;
  let open = false;
  let phase: 'starting' | 'sending' | 'judging' = 'starting';
  let step: string | null = null;
  const senders = new Map<string, SenderState>();
  const refused = new Map<string, number>();

  const say = (line: string): void => {
    if (open) stream.write('\n');
    open = false;
    stream.write(`badmx: ${line}\n`);
  };
  const note = (line: string): void => {
    if (!quiet) say(line);
  };
  const summary = (): string => {
    const now = clock.now();
    const parts = [`${shortDuration(Math.max(0, now - startedAt))} elapsed${step ? `, step ${step}` : ''}`];
    const all = [...senders.entries()];
    if (all.length === 0) parts.push(phase === 'judging' ? 'judging what was recorded' : 'starting the senders');
    else if (all.length <= SENDERS_IN_LINE) {
      for (const [label, s] of all) parts.push(`${label} ${s.settled}/${s.total} settled, ${s.done ? (s.timedOut ? 'deadline reached' : 'done') : deadlineText(s.deadline, now)}`);
    } else {
      const settled = all.reduce((n, [, s]) => n + s.settled, 0);
      const total = all.reduce((n, [, s]) => n + s.total, 0);
      const waiting = all.filter(([, s]) => !s.done);
      const next = waiting.length === 0 ? null : Math.min(...waiting.map(([, s]) => s.deadline));
      parts.push(`${all.length} senders, ${settled}/${total} settled, ${waiting.length === 0 ? 'all done' : `${waiting.length} waiting, ${deadlineText(next ?? now, now)}`}`);
    }
    if (phase === 'judging' && all.length > 0) parts.push('judging what was recorded');
    return parts.join('; ');
  };
  const redraw = (): void => {
    if (quiet || !tty || senders.size === 0) return;
    const line = `badmx: ${summary()}`;
    const width = stream.columns && stream.columns > 20 ? stream.columns - 1 : 160;
    // One line that fits, or \r cannot redraw it.
    stream.write(`\r\u001b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    open = true;
  };
  const stopTimer = quiet ? () => {} : tty ? clock.every(REDRAW_MS, redraw) : clock.every(HEARTBEAT_MS, () => say(`still running: ${summary()}`));

  const print = (p: RunProgress): void => {
    switch (p.kind) {
      case 'fleet-ready':
        for (const warning of p.fleet.warnings) say(warning);
        note(`${p.fleet.members.length} receivers ready; CA bundle ${p.fleet.caFile}`);
        return;
      case 'step-start':
        step = `${p.index}/${p.total}`;
        note(`step ${p.index}/${p.total}: ${p.profile} is live for ${p.sender}`);
        return;
      case 'dns-ready':
        note(`harness DNS answering on ${p.address}:${p.port}`);
        return;
      case 'tls-report':
        // The summary quotes the reporter: made printable before it reaches the terminal.
        note(`TLS report by ${p.via === 'mail' ? 'mail' : 'HTTPS'}: ${printable(p.summary, 400)}`);
        redraw();
        return;
      case 'sender-start': {
        // The senders of one step start together: the first of a new step fixes the step's deadline.
        const stepOpen = [...senders.values()].some((s) => !s.done);
        const start = stepOpen ? null : (resumedStepStart ?? clock.now());
        resumedStepStart = null;
        const deadline = start === null ? ([...senders.values()].find((s) => !s.done)?.deadline ?? clock.now() + waitMs) : start + waitMs;
        senders.set(p.sender, { settled: 0, total: p.probes, deadline, done: false, timedOut: false });
        phase = 'sending';
        note(`${p.sender}: sending ${p.probes} probes, deadline ${clockTime(deadline)}`);
        redraw();
        return;
      }
      case 'probe-settled': {
        const state = senders.get(p.sender);
        if (state) Object.assign(state, { settled: p.settled, total: p.total });
        if (quiet) return;
        if (tty) redraw();
        else stream.write(`badmx: ${p.sender}: ${p.profile} settled (${p.settled}/${p.total})\n`);
        return;
      }
      case 'submission-refused': {
        // The first refusal in full (it usually says what to fix); the rest are counted.
        const count = (refused.get(p.sender) ?? 0) + 1;
        refused.set(p.sender, count);
        if (count === 1) say(`${p.sender} did not accept the probe for ${p.profile}: ${p.detail}`);
        redraw();
        return;
      }
      case 'submission-retry':
        note(`${p.sender}: submission for ${p.profile} failed (attempt ${p.attempt}), retrying: ${p.detail}`);
        redraw();
        return;
      case 'no-control':
        say(`${p.sender}: every control probe settled undelivered; its other cells cannot be judged, ending its step`);
        redraw();
        return;
      case 'sender-done': {
        const state = senders.get(p.sender);
        if (state) Object.assign(state, { settled: p.settled, total: p.total, done: true, timedOut: p.timedOut });
        const count = refused.get(p.sender) ?? 0;
        note(`${p.sender}: ${p.settled}/${p.total} settled${p.timedOut ? ' (deadline reached)' : ''}${count > 0 ? `; ${count} probe(s) not accepted by the sender` : ''}`);
        return;
      }
      case 'senders-done':
        phase = 'judging';
        return;
    }
  };
  return Object.assign(print, {
    summary,
    done(): void {
      stopTimer();
      if (open) stream.write('\n');
      open = false;
    },
  });
}

/** 42 s → "42s", 125 s → "2m05s", 2 h 10 min → "2h10m". */
export function shortDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
}

/** A deadline as the wall clock says it (UTC), so a log read later says when. */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

function deadlineText(deadline: number, now: number): string {
  return deadline > now ? `deadline ${clockTime(deadline)} (in ${shortDuration(deadline - now)})` : `deadline ${clockTime(deadline)} (passed)`;
}
