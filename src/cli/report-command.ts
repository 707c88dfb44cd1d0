import { dirname, join, resolve } from 'node:path';
import { addExamples } from './help-text.js';
import { DATA_DEFAULT_TEXT, defaultDataDir, newestRunOrExplain, stampedName } from './user-dirs.js';
import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { buildComparison, runNames } from '../report/compare-model.js';
import { DEFAULT_COMPARE_FORMATS, selectCompareFormats, writeComparison } from '../report/compare-report.js';
import { describeResult } from '../report/render-all.js';
import { DEFAULT_REPORT_FORMATS } from '../report/registry.js';
import { loadRunDocument } from '../document/load-run-document.js';
import type { CliContext } from './cli-io.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { addFormatOption, addRenderTextOptions, parseFormatOption, renderOptionsFrom, writeReports } from './format-option.js';

interface ReportFlags {
  format: string;
  out?: string;
  compare?: boolean;
  title?: string;
  subtitle?: string;
}

/**
 * `badmx report <run.json | run dir>`: re-render a saved run in any format, any time
 * later, without the fleet. `badmx report <run> <run> ... --compare`: several runs side by
 * side (compare.html, compare.md). Exit 0 when every format was written; 2 when a run cannot
 * be read, a format is unknown, or a format could not be written (the others still are).
 */
export function registerReportCommand(program: Command, context: CliContext): void {
  const command = addFormatOption(
    program
      .command('report')
      .description('render a saved run (its run.json, or the run directory) as HTML, PDF, SVG/PNG, Markdown, JUnit, CSV or JSON; with --compare, several runs side by side')
      .argument('[runs...]', `a run.json, or the run directory that holds it (several with --compare; default: the newest run in <data>, where <data> is ${DATA_DEFAULT_TEXT})`),
    DEFAULT_REPORT_FORMATS,
  )
    .option('--out <dir>', 'where to write the reports (default: next to run.json; with --compare, <data>/compare-<time>)')
    .option('--compare', `several runs side by side, which is safer: compare.html and compare.md (--format ${DEFAULT_COMPARE_FORMATS})`);
  addExamples(addRenderTextOptions(command), [
    'badmx report --format html,pdf --title "Vendor evaluation"',
    'badmx report a/run.json b/run.json --compare --out comparison',
  ]).action(async (paths: string[], flags: ReportFlags, self: Command) => {
    const options = renderOptionsFrom(flags);
    if (flags.compare) {
      if (paths.length < 2) throw new BadmxError('--compare needs two or more runs (run.json files or run directories)', 'EUSAGE');
      const formats = selectCompareFormats(self.getOptionValueSource('format') === 'default' ? DEFAULT_COMPARE_FORMATS : flags.format);
      const loaded = paths.map((path) => ({ path, ...loadRunDocument(path) }));
      const names = runNames(loaded.map((run) => ({ dir: dirname(run.file), id: run.document.run.id })));
      const comparison = buildComparison(loaded.map((run, i) => ({ name: names[i] ?? run.document.run.id, file: run.path, document: run.document })));
      const results = writeComparison(comparison, formats, resolve(flags.out ?? join(defaultDataDir(context.io.env), stampedName('compare', new Date()))), options);
      for (const result of results) {
        if (result.ok) context.io.stdout.write(`${describeResult(result)}\n`);
        else context.io.stderr.write(`badmx: ${describeResult(result)}\n`);
      }
      context.exitCode = results.every((r) => r.ok) ? EXIT_OK : EXIT_USAGE;
      return;
    }
    if (paths.length > 1) throw new BadmxError(`report renders one run; ${paths.length} were given: add --compare to put them side by side`, 'EUSAGE');
    const renderers = parseFormatOption(flags.format);
    const { file, document } = loadRunDocument(paths[0] ?? newestRunOrExplain(context.io.env, 'a run.json or a run directory'));
    const outDir = resolve(flags.out ?? dirname(file));
    // Rendering json into run.json's own directory would rewrite the source with itself: say where it is instead.
    const inPlace = renderers.filter((r) => r.name === 'json' && join(outDir, r.fileName) === file);
    for (const r of inPlace) context.io.stdout.write(`${r.name}: ${file}\n`);
    const results = await writeReports(
      context.io,
      document,
      renderers.filter((r) => !inPlace.includes(r)),
      outDir,
      options,
    );
    context.exitCode = results.every((r) => r.ok) ? EXIT_OK : EXIT_USAGE;
  });
}
