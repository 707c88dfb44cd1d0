import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublicConfig } from '../../src/config/public-config.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';

/**
 * The shipped deployment files (docs/public-mode.md) must fit together: the unit
 * hands the certificate in where the example configuration looks for it, runs the command
 * docs/public-mode.md names, keeps its hardening, and the example run arguments parse.
 */

const HARNESS = join(import.meta.dirname, '../../harness');
const unit = readFileSync(join(HARNESS, 'systemd/badmx.service'), 'utf8');
const env = readFileSync(join(HARNESS, 'systemd/badmx.env.example'), 'utf8');

/** KEY=value lines of a unit or environment file; a key given twice (LoadCredential) keeps every value (systemd.syntax(7)). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_]+)=(.*)$/.exec(line.trim());
    if (match) out.set(match[1] as string, [...(out.get(match[1] as string) ?? []), match[2] as string]);
  }
  return out;
}

describe('harness/systemd/badmx.service', () => {
  const d = directives(unit);

  it('runs badmx with the configuration the README installs, arguments from the environment file', () => {
    expect(d.get('ExecStart')).toEqual(['/usr/local/bin/badmx run --config /etc/badmx/badmx.json $BADMX_RUN_ARGS']);
    expect(d.get('EnvironmentFile')).toEqual(['/etc/badmx/badmx.env']);
    expect(d.get('KillSignal')).toEqual(['SIGINT']);
    expect(d.get('Restart')).toEqual(['no']);
  });

  it('is never root: a dynamic user with only the capability to bind ports below 1024', () => {
    for (const [key, value] of [
      ['DynamicUser', 'yes'],
      ['AmbientCapabilities', 'CAP_NET_BIND_SERVICE'],
      ['CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE'],
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['StateDirectory', 'badmx'],
    ]) {
      expect(d.get(key as string), key).toEqual([value]);
    }
    expect(d.has('User')).toBe(false);
  });

  it('hands the certificate in where the example configuration reads it', () => {
    const config = loadPublicConfig(join(HARNESS, 'public/badmx.example.json'));
    const credentials = new Map((d.get('LoadCredential') ?? []).map((v) => v.split(':') as [string, string]));
    expect(config.certificate).not.toBeNull();
    for (const file of [config.certificate?.cert ?? '', config.certificate?.key ?? '']) {
      expect(file.startsWith('/run/credentials/badmx.service/')).toBe(true);
      expect(credentials.has(basename(file))).toBe(true);
    }
  });
});

describe('harness/systemd/badmx.env.example', () => {
  it('its run arguments name a sender spec that parses, whose password comes from the variable the file sets', () => {
    const vars = directives(env);
    const args = (vars.get('BADMX_RUN_ARGS')?.[0] ?? '').split(/\s+/);
    const spec = args[args.indexOf('--sender') + 1] ?? '';
    // as systemd would: the file's variables in the environment (the spec refuses a password variable that is not set)
    const saved = { ...process.env };
    try {
      for (const [key, values] of vars) process.env[key] = values[0];
      expect(parseSenderSpec(spec).label).toBe('ses-default');
    } finally {
      process.env = saved;
    }
  });
});
