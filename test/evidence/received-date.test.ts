import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReceivedDate } from '../../src/evidence/received-date.js';

const words = (text: string): string[] => text.replace(/,/g, ' ').split(/\s+/).filter(Boolean);

describe('parseReceivedDate (RFC 5322 §3.3 and the §4.3 obsolete forms)', () => {
  it.each([
    ['Sun, 10 May 2020 04:58:54 +1000', '2020-05-09T18:58:54.000Z'],
    ['Sat,  9 May 2020 21:02:20 +0200', '2020-05-09T19:02:20.000Z'],
    ['14 Nov 2003 08:05:52 -0000', '2003-11-14T08:05:52.000Z'],
    ['Fri, 2 Jun 2023 03:26:26 GMT', '2023-06-02T03:26:26.000Z'],
    ['Thu, 23 Sep 2004 14:35:29 MDT', '2004-09-23T20:35:29.000Z'],
    ['8 Mar 04 12:23:56 -0000', '2004-03-08T12:23:56.000Z'],
    ['8 Mar 99 12:23:56 -0000', '1999-03-08T12:23:56.000Z'],
    ['Thu, 6 May 2004 17:40:44-0500', '2004-05-06T22:40:44.000Z'],
    ['Mon, 5 Jan 2026 09:08 +0100', '2026-01-05T08:08:00.000Z'],
    ['Sun Nov 13 14:50:12 2005', '2005-11-13T14:50:12.000Z'],
    ['Mon, 5 Jan 2026 09:08:07 XYZ', '2026-01-05T09:08:07.000Z'],
  ])('%s', (text, iso) => {
    expect(parseReceivedDate(words(text))).toBe(iso);
  });

  it.each(['', 'yesterday', '31 Feb 2026 10:00:00 +0000', '5 Foo 2026 10:00:00 +0000', '5 Jan 2026 25:00:00 +0000', '5 Jan 0099 10:00:00 +0000'])('rejects %j', (text) => {
    expect(parseReceivedDate(words(text))).toBeNull();
  });

  // The ISO text is written by hand, not by Date (the bench's largest cost): it must equal
  // what Date writes for every day, time and offset, leap years and 29 Feb included.
  it('writes the same UTC time as Date for any valid date and offset (fast-check)', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number): string => String(n).padStart(2, '0');
    const field = fc.record({
      year: fc.integer({ min: 1900, max: 9998 }),
      month: fc.integer({ min: 0, max: 11 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 60 }),
      offset: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    });
    fc.assert(
      fc.property(field, ({ year, month, day, hour, minute, second, offset }) => {
        const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
        const local = new Date(Date.UTC(year, month, day, hour, minute, Math.min(second, 59)));
        const valid = local.getUTCDate() === day && local.getUTCMonth() === month;
        const expected = valid ? new Date(local.getTime() - offset * 60_000).toISOString() : null;
        expect(parseReceivedDate([String(day), months[month] ?? '', String(year), `${hour}:${two(minute)}:${two(second)}`, zone])).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
  });
});
