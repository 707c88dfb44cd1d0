import { describe, expect, it } from 'vitest';
import { identifierCovers, namesCover, usableIdentifier } from '../../src/certs/name-coverage.js';

describe('RFC 6125 §6.4 name coverage', () => {
  it.each([
    ['mx.example.com', 'mx.example.com', true],
    ['MX.Example.COM', 'mx.example.com', true],
    ['mx.example.com', 'MX.EXAMPLE.com', true],
    ['mx.example.com.', 'mx.example.com', true],
    ['mx.example.com', 'mx.example.com.', true],
    ['mx.example.com', 'mx.example.co', false],
    ['mx.example.com', 'x.mx.example.com', false],
    // a wildcard is the whole left-most label and stands for exactly one label
    ['*.example.com', 'mx.example.com', true],
    ['*.EXAMPLE.com', 'Mx.example.COM.', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'tls1.2.example.com', false],
    ['*.example.com', '.example.com', false],
    // never a suffix wildcard, a partial one, or one in another label
    ['*.com', 'example.com', false],
    ['*.test', 'badmx.test', false],
    ['f*.example.com', 'foo.example.com', false],
    ['*x.example.com', 'ax.example.com', false],
    ['mx.*.example.com', 'mx.a.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['*', 'localhost', false],
    // ASCII only, no IDNA: A-labels compare as they are, U-labels never match
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', true],
    ['*.example.com', 'xn--bcher-kva.example.com', true],
    ['bücher.example', 'bücher.example', false],
    ['*.example.com', 'bücher.example.com', false],
    ['mx.example.com', 'mx..example.com', false],
  ])('%s covers %s: %s', (presented, host, expected) => {
    expect(identifierCovers(presented, host)).toBe(expected);
  });

  it('a list covers a host when any identifier does', () => {
    expect(namesCover(['a.example.com', '*.badmx.example.com'], 'mx-tls1-2.badmx.example.com')).toBe(true);
    expect(namesCover([], 'mx.example.com')).toBe(false);
  });

  it('usable identifiers exclude suffix and partial wildcards', () => {
    expect(usableIdentifier('*.badmx.example.com')).toBe(true);
    expect(usableIdentifier('*.com')).toBe(false);
    expect(usableIdentifier('w*.example.com')).toBe(false);
    expect(usableIdentifier('under_score.example.com')).toBe(false);
  });
});
