import { BadmxError } from '../errors.js';
import { csvTable } from './csv-table.js';
import { htmlReport } from './html-report.js';
import { jsonDocument } from './json-document.js';
import { junitXml } from './junit-xml.js';
import { markdownTable } from './markdown-table.js';
import { pdfReport } from './pdf-report.js';
import { pngInfographic } from './png-infographic.js';
import type { Renderer } from './renderer.js';
import { svgInfographic } from './svg-infographic.js';

/** Every output format, by --format name, in the order they are written. */
export const RENDERERS: readonly Renderer[] = [jsonDocument, htmlReport, pdfReport, svgInfographic, pngInfographic, markdownTable, junitXml, csvTable];

export const FORMAT_NAMES: readonly string[] = RENDERERS.map((r) => r.name);

/** What `badmx run` and `badmx demo` write when --format is not given (run.json is always written). */
export const DEFAULT_RUN_FORMATS = 'json,html,svg,md';

/** What `badmx report` writes when --format is not given. */
export const DEFAULT_REPORT_FORMATS = 'html,svg,md';

/**
 * A --format list ("html,svg,md") as renderers, in registry order, each once. An unknown
 * name is a usage error that lists the known ones.
 */
export function selectRenderers(list: string, flag = '--format'): Renderer[] {
  const names = list
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) throw new BadmxError(`${flag} is empty: give one or more of ${FORMAT_NAMES.join(', ')}`, 'EUSAGE');
  const unknown = names.find((name) => !FORMAT_NAMES.includes(name));
  if (unknown !== undefined) {
    throw new BadmxError(`unknown format "${unknown}" in ${flag}: known formats are ${FORMAT_NAMES.join(', ')}`, 'EUSAGE');
  }
  return RENDERERS.filter((renderer) => names.includes(renderer.name));
}
