import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { describeResult, renderAll, type RenderResult } from '../report/render-all.js';
import { FORMAT_NAMES, selectRenderers } from '../report/registry.js';
import type { Renderer, RenderOptions } from '../report/renderer.js';
import type { RunDocument } from '../document/run-document.js';
import type { CliIo } from './cli-io.js';

/** --format, shared by run, demo and report. */
export function addFormatOption(command: Command, defaults: string): Command {
  return command.option('--format <list>', `comma-separated report formats: ${FORMAT_NAMES.join(', ')}`, defaults);
}

/** --title and --subtitle: the reports' own heading, passed to every renderer as data (run, demo and report). */
export function addRenderTextOptions(command: Command): Command {
  return command
    .option('--title <text>', 'the reports\' title, in place of the run id (html, pdf, svg, png, md)')
    .option('--subtitle <text>', 'a line under the title (html, pdf, svg, png, md)');
}

/** The render options the flags of addRenderTextOptions give. */
export function renderOptionsFrom(flags: { title?: string; subtitle?: string }): RenderOptions {
  return { title: flags.title, subtitle: flags.subtitle };
}

/**
 * The renderers a --format list names. With `requireAvailable`, a format this machine
 * cannot produce (png without a converter) is refused now, before a run spends its time.
 */
export function parseFormatOption(list: string, options: { requireAvailable?: boolean } = {}): Renderer[] {
  const renderers = selectRenderers(list);
  if (options.requireAvailable) {
    for (const renderer of renderers) {
      const why = renderer.unavailable?.() ?? null;
      if (why !== null) throw new BadmxError(`--format ${renderer.name}: ${why}`, 'ECONFIG');
    }
  }
  return renderers;
}

/** Render, print each written path on stdout and each failure as one line on stderr; returns the results. */
export async function writeReports(io: CliIo, run: RunDocument, renderers: Renderer[], outDir: string, options: RenderOptions = {}): Promise<RenderResult[]> {
  const results = await renderAll(run, renderers, outDir, options);
  for (const result of results) {
    if (result.ok) io.stdout.write(`${describeResult(result)}\n`);
    else io.stderr.write(`badmx: ${describeResult(result)}\n`);
  }
  return results;
}
