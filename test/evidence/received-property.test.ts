import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReceived, receivedHopsOldestFirst } from '../../src/evidence/parse-received.js';
import type { ReceivedHop } from '../../src/evidence/received-hop.js';

const VERSIONS = [null, 'SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const nullableString = (value: unknown): boolean => value === null || typeof value === 'string';

/** The run.json shape, checked field by field: a parser bug must not leak a wrong type into a report. */
function assertHopShape(hop: ReceivedHop): void {
  expect(Object.keys(hop).sort()).toEqual(['by', 'date', 'for', 'from', 'id', 'raw', 'tls', 'with']);
  expect(typeof hop.raw).toBe('string');
  expect(hop.raw).not.toMatch(/[\r\n]/);
  for (const value of [hop.from.helo, hop.from.rdns, hop.from.address, hop.by.host, hop.by.software, hop.with, hop.id, hop.for, hop.tls.cipher, hop.tls.verify]) {
    expect(nullableString(value)).toBe(true);
  }
  if (hop.date !== null) expect(new Date(hop.date).toISOString()).toBe(hop.date);
  expect([true, false, 'unknown']).toContain(hop.tls.tls);
  expect(VERSIONS).toContain(hop.tls.version);
  expect(hop.tls.bits === null || Number.isInteger(hop.tls.bits)).toBe(true);
  if (hop.tls.tls !== true) expect([hop.tls.version, hop.tls.cipher, hop.tls.bits, hop.tls.verify]).toEqual([null, null, null, null]);
  expect(['comment', 'clause', 'keyword', 'none']).toContain(hop.tls.basis);
  expect(hop.tls.basis === 'none').toBe(hop.tls.tls === 'unknown');
  expect(nullableString(hop.tls.statement)).toBe(true);
  if (typeof hop.tls.statement === 'string') expect(hop.tls.statement).not.toMatch(/[\r\n]/);
  expect(() => JSON.stringify(hop)).not.toThrow();
}

/** Pieces real fields are made of, and the ones that break naive parsers. */
const piece = fc.oneof(
  fc.constantFrom('from', 'by', 'with', 'id', 'for', 'via', 'FROM', 'ESMTPS', 'ESMTP', 'SMTP', 'tls', 'helo=', 'HELO', 'using', 'cipher', 'encrypted'),
  fc.constantFrom('(', ')', '((', '))', '[', ']', '<', '>', '"', '\\', ';', ',', ':', '=', ' ', '  ', '\t', '\r\n ', '\n\t', '\r', '\n'),
  fc.constantFrom('[IPv6:2001:db8::1]', '[192.0.2.1]:25', '(version=TLS1_2, cipher=X bits=128/128)', '(TLSv1.3:C:256:NO)', '(TLS1.3)', '(using TLSv1.2 with cipher C (128/128 bits))', 'Mon, 5 Jan 2026 09:08:07 +0000'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

describe('parseReceived never throws and always returns a valid hop', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        assertHopShape(parseReceived(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('on sequences of Received-field pieces, hostile ones included', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        assertHopShape(parseReceived(pieces.join('')));
      }),
      { numRuns: 3000 },
    );
  });

  it('on adversarial runs: deep parentheses, spaces, semicolons, unterminated comments and literals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('(', ')', ' ', ';', '[', '"', '<', '\\', 'a', '(a', '=', ':', 'from ', 'by '),
        fc.integer({ min: 1, max: 20_000 }),
        fc.string({ maxLength: 20 }),
        (unit, times, tail) => {
          const started = performance.now();
          assertHopShape(parseReceived(`from a ${unit.repeat(times)}${tail} by b with ESMTP; Mon, 5 Jan 2026 09:08:07 +0000`));
          // Linear time: 20k units parse in well under 50 ms on a slow machine; a quadratic path would take seconds.
          expect(performance.now() - started).toBeLessThan(250);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('whole header blocks of random fields never throw either', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('Received', 'received', 'X', 'Subject', ' ', ''), fc.string({ unit: 'binary', maxLength: 80 })), { maxLength: 20 }), (lines) => {
        const hops = receivedHopsOldestFirst(lines.map(([name, value]) => `${name}:${value}`).join('\r\n'));
        for (const hop of hops) assertHopShape(hop);
      }),
      { numRuns: 1000 },
    );
  });
});
