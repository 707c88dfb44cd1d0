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
  const offset = zoneMinutes(zoneText);
  // A leap second (:60) is kept as :59 of the same minute.
  const local = new Date(Date.UTC(year, month, day, hour, minute, Math.min(second, 59)));
  // Reject impossible days (31 Feb) rather than let Date roll them over.
  if (local.getUTCDate() !== day || local.getUTCMonth() !== month) return null;
  return new Date(local.getTime() - offset * 60_000).toISOString();
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
