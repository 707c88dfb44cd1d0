import { describe, expect, it } from 'vitest';
import { parseSenderSpec, redactSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { splitCommand } from '../../src/senders/command-sender.js';

describe('sender specs', () => {
  it('parses each kind, with labels for the matrix', () => {
    expect(parseSenderSpec('builtin:strict')).toMatchObject({ kind: 'builtin', label: 'builtin:strict' });
    expect(parseSenderSpec('command:/usr/sbin/sendmail -t -i')).toMatchObject({ kind: 'command', label: 'command:/usr/sbin/sendmail -t -i' });
    expect(parseSenderSpec('smtp:127.0.0.1:2525?tls=none')).toMatchObject({ kind: 'smtp', label: '127.0.0.1:2525' });
    expect(parseSenderSpec('smtp:[::1]:25?tls=none&label=local')).toMatchObject({ kind: 'smtp', label: 'local' });
  });

  it.each([
    ['ftp:example.com', /unknown sender "ftp:example.com": use builtin:opportunistic, builtin:strict, builtin:mta-sts, builtin:dane, postfix:may, postfix:encrypt, postfix:verify, postfix:secure, postfix:mta-sts, postfix:dane, exim:default, exim:strict, exim:dane, opensmtpd:default, opensmtpd:tls, opensmtpd:verify, sendmail:default, sendmail:starttls, smtp:HOST/],
    ['builtin:lenient', /use builtin:opportunistic, builtin:strict, builtin:mta-sts or builtin:dane/],
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

  describe('a secret in a spec is refused without being repeated', () => {
    const SECRET = 'Zq7-distinctive-S3cret';
    it.each([
      [`smtp:127.0.0.1:2525?password=${SECRET}`, 'smtp:127.0.0.1:2525?password=***', /never put a password in a spec/],
      [`smtp:host?user=a&p%61ssword=${SECRET}`, 'smtp:host?user=a&p%61ssword=***', /never put a password in a spec/],
      [`smtp:host?password=${SECRET.slice(0, 5)}&${SECRET.slice(5)}`, 'smtp:host?password=***&***', /never put a password in a spec/],
      [`smtp:host?pass=${SECRET}`, 'smtp:host?pass=***', /unknown option "pass"/],
      [`smtp:host?tls=starttls&${SECRET}`, 'smtp:host?tls=starttls&***', /unknown option \(not shown: it may hold a secret\)/],
      [`smtp://user:${SECRET}@relay.example:587`, 'smtp://***@relay.example:587', /never put credentials in a spec/],
      [`smtp:user:${SECRET}@relay.example`, 'smtp:***@relay.example', /never put credentials in a spec/],
      [`smtp://user:${SECRET.slice(0, 4)}@?${SECRET.slice(4)}@relay.example`, 'smtp://***?***', /never put credentials in a spec/],
      [`smtp:relay.example?user=a&password-env=${SECRET}`, 'smtp:relay.example?user=a&password-env=***', /password-env must name an environment variable/],
      [`smpt:relay.example?password=${SECRET}`, 'smpt:relay.example?password=***', /unknown sender/],
    ])('%s', (spec, shown, message) => {
      expect(redactSpec(spec)).toBe(shown);
      let error: Error | undefined;
      try {
        parseSenderSpec(spec);
      } catch (caught) {
        error = caught as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).toContain(`"${shown}"`);
      expect(error?.message).not.toContain(SECRET.slice(5));
    });

    it('leaves a spec without secrets as it is', () => {
      for (const spec of ['smtp:[::1]:25?tls=none&label=local', 'smtp:relay.example:587?tls=starttls&user=me@example.org&password-env=SMTP_PASSWORD&ca=/etc/ca.pem', 'builtin:strict']) {
        expect(redactSpec(spec)).toBe(spec);
      }
    });
  });

  it('a ca= file is a bounded read of a regular file, refused in one line', () => {
    expect(() => parseSenderSpec('smtp:127.0.0.1:2525?tls=none&ca=/dev/zero')).toThrow(/^sender "smtp:127\.0\.0\.1:2525\?tls=none&ca=\/dev\/zero": ca \/dev\/zero: cannot read it \(is a character device, not a regular file\)$/);
    expect(() => parseSenderSpec('smtp:127.0.0.1:2525?tls=none&ca=/no/such/ca.pem')).toThrow(/ca \/no\/such\/ca\.pem: cannot read it \(no such file\)$/);
  });

  it('splits commands like a shell does, without expanding anything', () => {
    expect(splitCommand(`sendmail -t -i`)).toEqual(['sendmail', '-t', '-i']);
    expect(splitCommand(`sh -c 'cat > "$OUT"' x`)).toEqual(['sh', '-c', 'cat > "$OUT"', 'x']);
    expect(splitCommand(`a\\ b "c \\"d\\"" ''`)).toEqual(['a b', 'c "d"', '']);
  });
});
