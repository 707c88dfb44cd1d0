import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../src/profiles/catalogue.js';
import { runInProcess } from '../helpers/cli.js';

describe('badmx explain <profile>', () => {
  it('prints the title, what it tests, the risk, the rules and the references, from the catalogue', async () => {
    const expired = loadCatalogue().find((p) => p.name === 'expired');
    const { exitCode, stdout, stderr } = await runInProcess(['explain', 'expired']);
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('expired: Expired certificate');
    expect(lines).toContain('suite: study');
    expect(lines).toContain(`tests: ${expired?.tests}`);
    expect(lines).toContain(`risk: ${expired?.risk}`);
    // every rule and every reference, each on its own line, § kept as it is
    expect(expired?.rules?.length).toBeGreaterThan(0);
    for (const rule of expired?.rules ?? []) expect(lines).toContain(`  - ${rule}`);
    for (const reference of expired?.references ?? []) expect(lines).toContain(`  - ${reference}`);
    expect(lines.indexOf('rules:')).toBeLessThan(lines.indexOf('references:'));
    expect(stdout).toContain('RFC 5280 §6.1.3');
  });

  it('works for a profile of every suite, and --json prints the profile itself', async () => {
    for (const name of ['starttls-500', 'sts-enforce-expired', 'dane-bogus', 'rsa-1024']) {
      const { exitCode, stdout } = await runInProcess(['explain', name]);
      expect(exitCode, name).toBe(0);
      expect(stdout, name).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `));
      expect(stdout, name).toMatch(/^risk: \S/m);
    }
    const json = await runInProcess(['explain', 'tls1.0', '--json']);
    expect(json.exitCode).toBe(0);
    const profile = JSON.parse(json.stdout) as { name: string; risk: string; rules: string[] };
    expect(profile.name).toBe('tls1.0');
    expect(profile.rules).toContain('RFC 8996: TLS 1.0 and TLS 1.1 are deprecated and MUST NOT be negotiated');
  });

  it('an unknown profile is a one-line usage error that says how to list the profiles, exit 2', async () => {
    const { exitCode, stdout, stderr } = await runInProcess(['explain', 'no-such-profile']);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('badmx: unknown profile "no-such-profile": badmx profiles --suite all lists every profile');
    // hostile input stays one printable line
    const hostile = await runInProcess(['explain', 'x\u001b[31m\nred']);
    expect(hostile.exitCode).toBe(2);
    expect(hostile.stderr.split('\n')).toHaveLength(1);
    expect(hostile.stderr).not.toContain('\u001b');
  });

  it('without a profile, a usage error (exit 2)', async () => {
    expect((await runInProcess(['explain'])).exitCode).toBe(2);
  });
});
