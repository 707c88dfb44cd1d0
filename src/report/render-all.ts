import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAtomic } from '../files/write-atomic.js';
import type { RunDocument } from '../document/run-document.js';
import { oneLine } from './escape.js';
import type { Renderer, RenderOptions } from './renderer.js';

export type RenderResult =
  | { format: string; ok: true; file: string }
  | { format: string; ok: false; error: string };

/**
 * Render one run in several formats into a directory. Like a reporter multiplexer: each
 * renderer is isolated, so one that throws (or whose file cannot be written) costs only
 * its own output and is reported as one line; the others are still written. Each file is
 * written atomically, so a failed renderer never leaves half a file behind. The options
 * (--title, --subtitle) reach every renderer as data.
 */
export async function renderAll(run: RunDocument, renderers: readonly Renderer[], outDir: string, options: RenderOptions = {}): Promise<RenderResult[]> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const results: RenderResult[] = [];
  for (const renderer of renderers) {
    try {
      const output = await renderer.render(run, options);
      const file = join(dir, renderer.fileName);
      writeAtomic(file, output);
      results.push({ format: renderer.name, ok: true, file });
    } catch (error) {
      results.push({ format: renderer.name, ok: false, error: oneLine(error instanceof Error ? error.message : String(error)) });
    }
  }
  return results;
}

/** A result as the CLI prints it: "html: /path/report.html", or "png: not written: why". */
export function describeResult(result: RenderResult): string {
  return result.ok ? `${result.format}: ${result.file}` : `${result.format}: not written: ${result.error}`;
}
