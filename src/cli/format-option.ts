import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { describeResult, renderAll, type RenderResult } from '../report/render-all.js';
import { FORMAT_NAMES, selectRenderers } from '../report/registry.js';
import type { Renderer } from '../report/renderer.js';
import type { RunDocument } from '../document/run-document.js';
import type { CliIo } from './cli-io.js';

/** --format, shared by run, demo and report. */
export function addFormatOption(command: Command, defaults: string): Command {
  return command.option('--format <list>', `comma-separated report formats: ${FORMAT_NAMES.join(', ')}`, defaults);
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
export async function writeReports(io: CliIo, run: RunDocument, renderers: Renderer[], outDir: string): Promise<RenderResult[]> {
  const results = await renderAll(run, renderers, outDir);
  for (const result of results) {
    if (result.ok) io.stdout.write(`${describeResult(result)}\n`);
    else io.stderr.write(`badmx: ${describeResult(result)}\n`);
  }
  return results;
}
