import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { addConfigOption, applyPublicConfig } from '../../src/cli/config-option.js';
import { parsePublicConfig } from '../../src/config/public-config.js';

const config = parsePublicConfig(
  { zone: 'badmx.example.com', listen: { addresses: ['203.0.113.25'], port: 2525 }, dns: { mode: 'delegated', listen: '203.0.113.53' } },
  'badmx.json',
  '/',
);

interface Flags {
  config?: string;
  zone: string;
  port: string;
  wait: string;
}

/** A command shaped like `badmx run`: --zone and --port with the same defaults, parsed for real. */
function parse(argv: string[], env: Record<string, string> = {}): { flags: Flags; command: Command } {
  const command = addConfigOption(new Command('run'))
    .option('--zone <zone>', 'zone', 'badmx.test')
    .addOption(new Option('--port <port>', 'port').default('25').env('TEST_BADMX_PORT'))
    .option('--wait <duration>', 'wait', '60s')
    .exitOverride();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    command.parse(argv, { from: 'user' });
  } finally {
    process.env = saved;
  }
  return { flags: command.opts<Flags>(), command };
}

describe('applyPublicConfig', () => {
  it('the file fills the flags the user did not give', () => {
    const { flags, command } = parse(['--config', 'badmx.json']);
    expect(applyPublicConfig(flags, config, command)).toEqual({ config: 'badmx.json', zone: 'badmx.example.com', port: '2525', wait: '60s' });
  });

  it('flags typed on the command line win, even when they equal the default', () => {
    const { flags, command } = parse(['--config', 'badmx.json', '--zone', 'badmx.test', '--port', '25']);
    expect(applyPublicConfig(flags, config, command)).toMatchObject({ zone: 'badmx.test', port: '25' });
  });

  it('so do flags set through the environment', () => {
    const { flags, command } = parse(['--config', 'badmx.json'], { TEST_BADMX_PORT: '2626' });
    expect(applyPublicConfig(flags, config, command)).toMatchObject({ zone: 'badmx.example.com', port: '2626' });
  });

  it('returns a copy and maps only what the command has', () => {
    const { flags, command } = parse([]);
    const before = { ...flags };
    applyPublicConfig(flags, config, command);
    expect(flags).toEqual(before);
    const zoneOnly = applyPublicConfig({ zone: 'badmx.test' }, config, command);
    expect(zoneOnly).toEqual({ zone: 'badmx.example.com' });
  });
});
