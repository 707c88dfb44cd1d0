import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { runJsonSchema } from '../document/run-json-schema.js';
import { examplesText } from './help-text.js';

/** `badmx schema`: the JSON Schema of run.json (also shipped as docs/run.schema.json). */
export function registerSchemaCommand(program: Command, { io }: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of run.json (draft 2020-12), for tools that read runs')
    .addHelpText('after', examplesText(["badmx schema > run.schema.json", "badmx schema | jq '.properties | keys'"])).action(() => {
      io.stdout.write(`${JSON.stringify(runJsonSchema(), null, 2)}\n`);
    });
}
