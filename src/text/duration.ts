import { BadmxError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "90s", "2m", "1500ms", "1h" or a bare number of seconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new BadmxError(`${flag} must be a duration such as 60s, 2m or 1h, not "${value}"`, 'EUSAGE');
  const ms = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1_000);
  if (ms <= 0 || ms > 7 * 86_400_000) throw new BadmxError(`${flag} must be more than 0 and at most 7 days`, 'EUSAGE');
  return ms;
}

/** 160 → "160 ms", 2650 → "2.65 s", 125000 → "2 min 5 s", 300000 → "5 min", 5400000 → "1 h 30 min" (zero parts left out). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  // Whole seconds first, so 119.7 s is "2 min", never "1 min 60 s".
  const total = Math.round(ms / 1000);
  const parts = [
    [Math.floor(total / 3600), 'h'],
    [Math.floor((total % 3600) / 60), 'min'],
    [total % 60, 's'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}
