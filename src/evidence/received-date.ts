const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** RFC 5322 §4.3 obsolete zones, in minutes east of UTC. */
const ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

/**
 * The date of a Received field (the part after its last ";"), as ISO 8601 UTC, or null.
 *
 * Takes the words of that part (comments such as "(CEST)" and commas already removed by
 * the tokenizer) and reads RFC 5322 §3.3 date-time with the §4.3 obsolete forms MTAs still
 * write: no day name, two-digit years (00–49 → 20xx, 50–99 → 19xx), named zones, a zone
 * glued to the time ("17:40:44-0500"), no seconds; and the asctime() form some old MTAs
 * use ("Sun Nov 13 14:50:12 2005"). An unknown or missing zone counts as UTC, as §4.3
 * says of "-0000". Words are joined by exactly one space so the patterns need no `\s+`
 * and stay linear.
 */
export function parseReceivedDate(words: string[]): string | null {
  const text = words.slice(0, 8).join(' ');
  const rfc = /^(?:[A-Za-z]{3,9} )?(\d{1,2}) ([A-Za-z]{3,9}) (\d{2,4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([+-]\d{4}|[A-Za-z]{1,5}))?(?: |$)/.exec(text);
  if (rfc) {
    return build(rfc[3] as string, rfc[2] as string, rfc[1] as string, rfc[4] as string, rfc[5] as string, rfc[6], rfc[7]);
  }
  const asctime = /^[A-Za-z]{3,9} ([A-Za-z]{3,9}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (\d{4})(?: ([+-]\d{4}|[A-Za-z]{1,5}))?(?: |$)/.exec(text);
  if (asctime) {
    return build(asctime[6] as string, asctime[1] as string, asctime[2] as string, asctime[3] as string, asctime[4] as string, asctime[5], asctime[7]);
  }
  return null;
}

function build(yearText: string, monthText: string, dayText: string, hourText: string, minuteText: string, secondText: string | undefined, zoneText: string | undefined): string | null {
  const month = MONTHS.indexOf(monthText.slice(0, 3).toLowerCase());
  if (month < 0) return null;
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText.length === 3) year += 1900;
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = secondText === undefined ? 0 : Number(secondText);
  if (year < 1900 || hour > 23 || minute > 59 || second > 60) return null;
  // Reject impossible days (31 Feb) rather than let Date roll them over.
  if (day < 1 || day > daysInMonth(year, month)) return null;
  const offset = zoneMinutes(zoneText);
  // A leap second (:60) is kept as :59 of the same minute.
  return isoString(Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - offset * 60_000);
}

function daysInMonth(year: number, month: number): number {
  if (month === 1) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
}

/**
 * `new Date(ms).toISOString()` without the Date: the same text for every time from year
 * 0000 to 9999, written from whole days since the epoch (H. Hinnant's civil_from_days).
 * Parsing a 100 KB header block formats hundreds of dates, and the Date object was the
 * largest single cost (npm run bench:received).
 */
function isoString(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.000Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function zoneMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  if (/^[+-]\d{4}$/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    return minutes > 59 ? 0 : sign * (hours * 60 + minutes);
  }
  return ZONES[zone.toUpperCase()] ?? 0;
}
