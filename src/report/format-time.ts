import { formatDuration } from '../text/duration.js';

/** Times as reports print them: fixed UTC, no locale, so output is the same on every machine. */

/** 2026-11-24T16:54:34.278Z → 2026-11-24 16:54:34 UTC */
export function utc(iso: string, options: { ms?: boolean } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = date.toISOString().replace('T', ' ');
  return `${options.ms ? text.slice(0, 23) : text.slice(0, 19)} UTC`;
}

/** Milliseconds between two ISO times (b − a), or null when either is missing or unreadable. */
export function elapsedMs(a: string | null, b: string | null): number | null {
  if (a === null || b === null) return null;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isNaN(ms) ? null : ms;
}

/** 160 → "160 ms", 2650 → "2.65 s", 125000 → "2 min 5 s" (text/duration.ts: the run's own notes say durations the same way). */
export const duration = formatDuration;

/** A time relative to a base, as "+160 ms". */
export function relative(base: string, iso: string | null): string {
  const ms = elapsedMs(base, iso);
  return ms === null ? '—' : `+${duration(Math.max(0, ms))}`;
}

/** 2026-11-24T16:54:34.278Z → 16:54:34 UTC: a time of day, for events of one run (its dates are in the header). */
export function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(11, 19)} UTC`;
}
