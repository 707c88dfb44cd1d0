import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { runJsonSchema } from '../document/run-json-schema.js';

/** `badmx schema`: the JSON Schema of run.json (also shipped as docs/run.schema.json). */
export function registerSchemaCommand(program: Command, { io }: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of run.json (draft 2020-12), for tools that read runs')
    .action(() => {
      io.stdout.write(`${JSON.stringify(runJsonSchema(), null, 2)}\n`);
    });
}
