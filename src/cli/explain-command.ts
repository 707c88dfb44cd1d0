import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { BUILTIN_CATALOGUE, loadCatalogue } from '../profiles/catalogue.js';
import type { Profile } from '../profiles/profile-schema.js';
import { oneLine, visibleControls } from '../report/escape.js';
import { printable } from '../text/printable.js';
import type { CliContext } from './cli-io.js';
import { examplesText } from './help-text.js';

/** A profile explained, as lines: title, what it tests, its risk, the rules it touches, its references. */
export function explainProfile(profile: Profile): string[] {
  // Catalogue text, one line each, controls made visible (a --receivers directory may be anyone's); § and other letters kept.
  const text = (s: string): string => oneLine(visibleControls(s));
  const lines = [`${text(profile.name)}: ${text(profile.title)}`, `suite: ${profile.suite}`, `tests: ${text(profile.tests)}`];
  lines.push(`risk: ${profile.risk !== undefined ? text(profile.risk) : 'not stated in the catalogue'}`);
  lines.push(profile.rules?.length ? 'rules:' : 'rules: none stated in the catalogue');
  for (const rule of profile.rules ?? []) lines.push(`  - ${text(rule)}`);
  lines.push(profile.references.length ? 'references:' : 'references: none');
  for (const reference of profile.references) lines.push(`  - ${text(reference)}`);
  return lines;
}

/** `badmx explain <profile>`: what a receiver profile tests, what a failure there risks, and the rules and references behind it. */
export function registerExplainCommand(program: Command, { io }: CliContext): void {
  program
    .command('explain')
    .description('explain a receiver profile: what it tests, what a failure there risks, the rules it touches and its references')
    .argument('<profile>', 'a profile name (badmx profiles --suite all lists them)')
    .option('--receivers <dir>', 'profile catalogue directory (one JSON file per profile)', BUILTIN_CATALOGUE)
    .option('--json', 'print the profile as JSON')
    .addHelpText('after', examplesText(['badmx explain expired', 'badmx explain starttls-500 --json']))
    .action((name: string, flags: { receivers: string; json?: boolean }) => {
      const profile = loadCatalogue(flags.receivers).find((p) => p.name === name);
      if (!profile) {
        throw new BadmxError(`unknown profile "${printable(name, 80)}": badmx profiles --suite all lists every profile`, 'EUSAGE');
      }
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
        return;
      }
      io.stdout.write(`${explainProfile(profile).join('\n')}\n`);
    });
}
