import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';
import { renderCompareHtml } from './compare-html.js';
import { renderCompareMarkdown } from './compare-markdown.js';
import type { Comparison } from './compare-model.js';
import { oneLine } from './escape.js';
import type { RenderResult } from './render-all.js';
import type { RenderOptions } from './renderer.js';

/** The formats of `badmx report --compare`, by --format name, in the order they are written. */
export const COMPARE_RENDERERS: readonly { name: string; fileName: string; render: (comparison: Comparison, options: RenderOptions) => string }[] = [
  { name: 'html', fileName: 'compare.html', render: renderCompareHtml },
  { name: 'md', fileName: 'compare.md', render: renderCompareMarkdown },
];

export const DEFAULT_COMPARE_FORMATS = 'html,md';

/** A --format list for --compare: html and md are the only ones; anything else is a usage error naming them. */
export function selectCompareFormats(list: string): string[] {
  const names = list
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const known = COMPARE_RENDERERS.map((r) => r.name);
  if (names.length === 0) throw new BadmxError(`--format is empty: with --compare give one or more of ${known.join(', ')}`, 'EUSAGE');
  const unknown = names.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new BadmxError(`--compare renders ${known.join(' and ')} only, not "${unknown}"`, 'EUSAGE');
  return known.filter((name) => names.includes(name));
}

/** Write the comparison in each format, atomically, each isolated like renderAll. */
export function writeComparison(comparison: Comparison, formats: readonly string[], outDir: string, options: RenderOptions = {}): RenderResult[] {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  return COMPARE_RENDERERS.filter((r) => formats.includes(r.name)).map((renderer): RenderResult => {
    try {
      const file = join(dir, renderer.fileName);
      writeAtomic(file, renderer.render(comparison, options));
      return { format: renderer.name, ok: true, file };
    } catch (error) {
      return { format: renderer.name, ok: false, error: oneLine(error instanceof Error ? error.message : String(error)) };
    }
  });
}
