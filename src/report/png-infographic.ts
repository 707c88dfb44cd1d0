import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { RunDocument } from '../document/run-document.js';
import type { Renderer } from './renderer.js';
import { renderSvgInfographic } from './svg-infographic.js';

/** A program that can turn the infographic's SVG into a PNG. */
export interface PngConverter {
  kind: 'rsvg-convert' | 'chromium';
  path: string;
}

/** Said, on one line, when --format png finds no converter. */
export const PNG_CONVERTER_MISSING =
  'PNG needs an SVG converter on PATH: rsvg-convert (Debian/Ubuntu: apt-get install librsvg2-bin; macOS: brew install librsvg) or Chromium (apt-get install chromium); --format svg needs neither';

/** Pixels per SVG unit: twice the SVG's size, sharp on high-density screens and in slides. */
const SCALE = 2;
const TIMEOUT_MS = 60_000;

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function onPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** rsvg-convert first (small, exact, fast), then a Chromium; null when there is neither. */
export function findPngConverter(env: NodeJS.ProcessEnv = process.env): PngConverter | null {
  const rsvg = onPath('rsvg-convert', env.PATH);
  if (rsvg) return { kind: 'rsvg-convert', path: rsvg };
  for (const name of CHROMIUM_NAMES) {
    const chromium = onPath(name, env.PATH);
    if (chromium) return { kind: 'chromium', path: chromium };
  }
  return null;
}

/** The SVG's own width and height (the infographic always states them). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\bwidth="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  const height = Number(/\bheight="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('the SVG has no width and height to rasterize at');
  return { width, height };
}

export async function svgToPng(svg: string, converter: PngConverter): Promise<Uint8Array> {
  if (converter.kind === 'rsvg-convert') {
    const result = await execa(converter.path, ['--zoom', String(SCALE), '--format', 'png'], {
      input: svg,
      encoding: 'buffer',
      timeout: TIMEOUT_MS,
      reject: false,
    });
    if (result.exitCode !== 0) throw new Error(`rsvg-convert failed (exit ${result.exitCode}): ${Buffer.from(result.stderr).toString('utf8').trim()}`);
    return new Uint8Array(result.stdout);
  }
  // Chromium: a headless screenshot of the SVG file at its own size, nothing fetched, a throwaway profile.
  const { width, height } = svgSize(svg);
  const dir = mkdtempSync(join(tmpdir(), 'badmx-png-'));
  try {
    const input = join(dir, 'infographic.svg');
    const output = join(dir, 'infographic.png');
    writeFileSync(input, svg);
    const result = await execa(
      converter.path,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${join(dir, 'profile')}`,
        `--force-device-scale-factor=${SCALE}`,
        `--window-size=${Math.ceil(width)},${Math.ceil(height)}`,
        '--default-background-color=ffffffff',
        `--screenshot=${output}`,
        pathToFileURL(input).href,
      ],
      { timeout: TIMEOUT_MS, reject: false },
    );
    let png: Buffer;
    try {
      png = readFileSync(output);
    } catch {
      throw new Error(`${converter.path} wrote no screenshot (exit ${result.exitCode}): ${String(result.stderr).trim().split('\n').pop() ?? ''}`);
    }
    return new Uint8Array(png);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function renderPngInfographic(run: RunDocument, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  const converter = findPngConverter(env);
  if (!converter) throw new Error(PNG_CONVERTER_MISSING);
  return svgToPng(renderSvgInfographic(run), converter);
}

export const pngInfographic: Renderer = {
  name: 'png',
  fileName: 'infographic.png',
  description: 'the infographic as a PNG (needs rsvg-convert or Chromium)',
  render: (run) => renderPngInfographic(run),
  unavailable: () => (findPngConverter() ? null : PNG_CONVERTER_MISSING),
};
