import type { Command } from 'commander';
import type { PublicConfig } from '../config/public-config.js';

/**
 * `--config <file>`: a public-mode configuration (src/config/public-config.ts). Flags typed
 * on the command line (or set through the environment) win over the file; the file wins
 * over the built-in defaults. So `badmx run --config badmx.json --port 2525` uses the
 * file's zone and addresses with port 2525.
 */
export function addConfigOption(command: Command): Command {
  return command.option('--config <file>', 'public-mode configuration (JSON, e.g. /etc/badmx/badmx.json); flags given here win over it');
}

/** The flags a public configuration supplies where the existing fleet and run options mean the same thing. */
export interface PublicConfigFlags {
  zone: string;
  /** Present on commands with a `--port` for every profile (run, serve). */
  port?: string;
}

/** How commander says where an option's value came from; a Command is one. */
export type OptionSources = Pick<Command, 'getOptionValueSource'>;

/**
 * Fill `flags` from the configuration where the user did not give the flag. Commander's
 * defaults are already in `flags`, so "given" is read from commander (source `cli` or
 * `env`), not from the values: `--zone badmx.test` typed on purpose must win over the file
 * even though it equals the default. Returns a copy; `flags` is not changed.
 *
 *   .action((flags, command: Command) => {
 *     const config = flags.config ? loadPublicConfig(flags.config) : null;
 *     const effective = config ? applyPublicConfig(flags, config, command) : flags;
 */
export function applyPublicConfig<F extends PublicConfigFlags>(flags: F, config: PublicConfig, command: OptionSources): F {
  const given = (key: keyof PublicConfigFlags): boolean => {
    const source = command.getOptionValueSource(key);
    return source === 'cli' || source === 'env';
  };
  const mapped: Partial<PublicConfigFlags> = {};
  if (!given('zone')) mapped.zone = config.zone;
  if ('port' in flags && !given('port')) mapped.port = String(config.listen.port);
  return { ...flags, ...mapped };
}
