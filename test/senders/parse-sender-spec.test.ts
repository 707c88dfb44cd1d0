import { describe, expect, it } from 'vitest';
import { parseSenderSpec } from '../../src/senders/parse-sender-spec.js';
import { splitCommand } from '../../src/senders/command-sender.js';

describe('sender specs', () => {
  it('parses each kind, with labels for the matrix', () => {
    expect(parseSenderSpec('builtin:strict')).toMatchObject({ kind: 'builtin', label: 'builtin:strict' });
    expect(parseSenderSpec('command:/usr/sbin/sendmail -t -i')).toMatchObject({ kind: 'command', label: 'command:/usr/sbin/sendmail -t -i' });
    expect(parseSenderSpec('smtp:127.0.0.1:2525?tls=none')).toMatchObject({ kind: 'smtp', label: '127.0.0.1:2525' });
    expect(parseSenderSpec('smtp:[::1]:25?tls=none&label=local')).toMatchObject({ kind: 'smtp', label: 'local' });
  });

  it.each([
    ['ftp:example.com', /unknown sender "ftp:example.com": use builtin:opportunistic, builtin:strict, postfix:may, postfix:encrypt, postfix:verify, postfix:secure, exim:default, exim:strict, smtp:HOST/],
    ['builtin:lenient', /use builtin:opportunistic or builtin:strict/],
    ['smtp:', /expected smtp:HOST\[:PORT\]/],
    ['smtp:host:99999', /port must be 1-65535/],
    ['smtp:host?tls=maybe', /tls must be one of opportunistic, starttls, implicit, none/],
    ['smtp:host?colour=red', /unknown option "colour"/],
    ['smtp:host?user=a&password=hunter2', /never put a password in a spec; use password-env=VAR/],
    ['smtp:host:587?tls=starttls&user=a&password-env=BADMX_TEST_UNSET_VAR', /needs its password in the environment variable BADMX_TEST_UNSET_VAR, which is not set/],
    ['command:', /no command given/],
    ['command:sh -c "unterminated', /unterminated " quote/],
  ])('%s is refused with a one-line error', (spec, message) => {
    expect(() => parseSenderSpec(spec)).toThrow(message);
  });

  it('never sends credentials in the clear to a remote relay', () => {
    process.env.BADMX_TEST_PASSWORD = 'secret';
    try {
      expect(() => parseSenderSpec('smtp:relay.example:25?tls=opportunistic&user=a&password-env=BADMX_TEST_PASSWORD')).toThrow(/refusing to send credentials without TLS/);
      expect(parseSenderSpec('smtp:relay.example:587?tls=starttls&user=a&password-env=BADMX_TEST_PASSWORD').spec).not.toContain('secret');
    } finally {
      delete process.env.BADMX_TEST_PASSWORD;
    }
  });

  it('splits commands like a shell does, without expanding anything', () => {
    expect(splitCommand(`sendmail -t -i`)).toEqual(['sendmail', '-t', '-i']);
    expect(splitCommand(`sh -c 'cat > "$OUT"' x`)).toEqual(['sh', '-c', 'cat > "$OUT"', 'x']);
    expect(splitCommand(`a\\ b "c \\"d\\"" ''`)).toEqual(['a b', 'c "d"', '']);
  });
});
