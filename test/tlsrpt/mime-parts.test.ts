import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, looksLikeMessage, mimeLeaves, parseContentType, parseHeader, splitMultipart } from '../../src/tlsrpt/mime-parts.js';

/** Parameters as parseContentType returns them: an object without a prototype. */
function nullProto(values: Record<string, string>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, values);
}

describe('the MIME walker of the TLS-RPT reader', () => {
  it('unfolds header fields by removing the line break only (RFC 5322 §2.2.3)', () => {
    const { fields, bodyStart } = parseHeader('Subject: Report Domain: a.example\r\n\tSubmitter: b.example\r\nX:\r\n  y\r\n\r\nbody');
    expect(fields).toEqual([
      { name: 'Subject', value: ' Report Domain: a.example\tSubmitter: b.example' },
      { name: 'X', value: '  y' },
    ]);
    expect(bodyStart).toBe('Subject: Report Domain: a.example\r\n\tSubmitter: b.example\r\nX:\r\n  y\r\n\r\n'.length);
    expect(looksLikeMessage('From MAILER-DAEMON Thu Jan  1 00:00:00 2024\nFrom: a@b\n')).toBe(true);
    expect(looksLikeMessage('{"a": 1}')).toBe(false);
    expect(looksLikeMessage('not: a header? yes it is')).toBe(true);
    expect(looksLikeMessage('two words: no')).toBe(false);
  });

  it('reads Content-Type: case, quoted strings, comments, a parameter it cannot read', () => {
    expect(parseContentType('Multipart/Report; Report-Type="tlsrpt"; boundary="a \\"b\\" ; c"')).toEqual({
      mediaType: 'multipart/report',
      params: nullProto({ 'report-type': 'tlsrpt', boundary: 'a "b" ; c' }),
    });
    expect(parseContentType('application/tlsrpt+gzip (compressed) ; name=x.json.gz (the file)')).toEqual({
      mediaType: 'application/tlsrpt+gzip',
      params: nullProto({ name: 'x.json.gz' }),
    });
    expect(parseContentType('multipart/mixed; charset; boundary=----=_Part_1').params.boundary).toBe('----=_Part_1');
    expect(parseContentType('nonsense').mediaType).toBe('text/plain');
    expect(parseContentType(null).mediaType).toBe('text/plain');
    expect(parseContentType('text/plain; __proto__=x').params.__proto__).toBe('x');
  });

  it('splits at delimiters only (RFC 2046 §5.1.1): padding allowed, a longer boundary and the preamble and epilogue are not parts', () => {
    const body = ['preamble --b', '--b  ', 'one', '--bb', 'still one', '', '--b', 'two', '--b-- ', 'epilogue', '--b', 'not a part'].join('\r\n');
    expect(splitMultipart(body, 'b')).toEqual(['one\r\n--bb\r\nstill one\r\n', 'two']);
    // Cut short before the close delimiter: the last part runs to the end.
    expect(splitMultipart('--b\nfirst\n--b\nsecond, cut', 'b')).toEqual(['first', 'second, cut']);
    expect(splitMultipart('no delimiter', 'b')).toEqual([]);
  });

  it('walks nested multiparts, numbering parts as IMAP does', () => {
    const message = [
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: text/plain',
      '',
      'hello',
      '--outer',
      'Content-Type: multipart/report; report-type=tlsrpt; boundary=inner',
      '',
      '--inner',
      '',
      'no header: text/plain',
      '--inner',
      'Content-Type: application/tlsrpt+json',
      'Content-Transfer-Encoding: 8BIT',
      '',
      '{}',
      '--inner--',
      '--outer--',
    ].join('\r\n');
    expect(mimeLeaves(message, 'm').leaves.map((l) => [l.path, l.mediaType, l.encoding, l.body])).toEqual([
      ['1', 'text/plain', '7bit', 'hello'],
      ['2.1', 'text/plain', '7bit', 'no header: text/plain'],
      ['2.2', 'application/tlsrpt+json', '8bit', '{}'],
    ]);
  });

  it('decodes quoted-printable (RFC 2045 §6.7): soft breaks, =XX, transport white space, a stray "="', () => {
    expect(decodeQuotedPrintable('{"a":=\r\n "=C3=A9"}  \r\nx=3D1 =ZZ').toString('utf8')).toBe('{"a": "é"}\r\nx=1 =ZZ');
  });
});
