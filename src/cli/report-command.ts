import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_REPORT_FORMATS } from '../report/registry.js';
import { loadRunDocument } from '../document/load-run-document.js';
import type { CliContext } from './cli-io.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { addFormatOption, parseFormatOption, writeReports } from './format-option.js';

interface ReportFlags {
  format: string;
  out?: string;
}

/**
 * `badmx report <run.json | run dir>`: re-render a saved run in any format, any time
 * later, without the fleet. Exit 0 when every format was written; 2 when the run cannot
 * be read, a format is unknown, or a format could not be written (the others still are).
 */
export function registerReportCommand(program: Command, context: CliContext): void {
  addFormatOption(
    program
      .command('report')
      .description('render a saved run (its run.json, or the run directory) as HTML, SVG/PNG, Markdown, JUnit, CSV or JSON')
      .argument('<run>', 'a run.json, or the run directory that holds it'),
    DEFAULT_REPORT_FORMATS,
  )
    .option('--out <dir>', 'where to write the reports (default: next to run.json)')
    .action(async (path: string, flags: ReportFlags) => {
      const renderers = parseFormatOption(flags.format);
      const { file, document } = loadRunDocument(path);
      const outDir = resolve(flags.out ?? dirname(file));
      // Rendering json into run.json's own directory would rewrite the source with itself: say where it is instead.
      const inPlace = renderers.filter((r) => r.name === 'json' && join(outDir, r.fileName) === file);
      for (const r of inPlace) context.io.stdout.write(`${r.name}: ${file}\n`);
      const results = await writeReports(
        context.io,
        document,
        renderers.filter((r) => !inPlace.includes(r)),
        outDir,
      );
      context.exitCode = results.every((r) => r.ok) ? EXIT_OK : EXIT_USAGE;
    });
}
