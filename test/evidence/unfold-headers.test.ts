import { describe, expect, it } from 'vitest';
import { headerSection, receivedFieldsNewestFirst, unfoldFields } from '../../src/evidence/unfold-headers.js';

describe('header section and unfolding (RFC 5322 §2.1, §2.2.3)', () => {
  it('ends the header at the first empty line, CRLF or LF; a bare header block is all header', () => {
    expect(headerSection('A: 1\r\nB: 2\r\n\r\nbody\r\n')).toBe('A: 1\r\nB: 2');
    expect(headerSection('A: 1\nB: 2\n\nbody\n')).toBe('A: 1\nB: 2');
    expect(headerSection('A: 1\nB: 2\n')).toBe('A: 1\nB: 2\n');
    expect(headerSection('\nA: 1\n')).toBe('');
  });

  it('unfolds a line break and the white space after it into one space', () => {
    expect(unfoldFields('Received: from a\r\n\tby b\r\n    with SMTP;\r\n Mon, 5 Jan 2026\r\nX: y')).toEqual([
      { name: 'Received', value: 'from a by b with SMTP; Mon, 5 Jan 2026' },
      { name: 'X', value: 'y' },
    ]);
  });

  it('skips what is not a field: an mbox From_ line, a leading continuation, garbage', () => {
    expect(unfoldFields(' orphan\nFrom sender@example Mon Jan  5 09:08:07 2026\nnot a field\nReceived : by x; Mon, 5 Jan 2026 09:08:07 +0000')).toEqual([
      { name: 'Received', value: 'by x; Mon, 5 Jan 2026 09:08:07 +0000' },
    ]);
  });

  it('lists Received fields in header order, which is newest first, any case of the name', () => {
    expect(receivedFieldsNewestFirst('Received: one\nreceived: two\nRECEIVED: three\nX-Received: no\n\nReceived: body')).toEqual(['one', 'two', 'three']);
  });
});
