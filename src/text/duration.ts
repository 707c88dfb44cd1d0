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
