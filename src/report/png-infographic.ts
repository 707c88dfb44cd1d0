import type { RunDocument } from '../document/run-document.js';
import type { Renderer, RenderOptions } from './renderer.js';
import { renderSvgInfographic } from './svg-infographic.js';

/**
 * The infographic as a PNG, rasterized in process by resvg (@resvg/resvg-js, a prebuilt
 * native module from npm): no converter on PATH, no browser. Text is drawn with the
 * machine's installed fonts, through the SVG's own font stack (its last resort is the
 * generic sans-serif, resolved to DejaVu Sans, then Liberation Sans, then Arial).
 */

/** Pixels per SVG unit: twice the SVG's size, sharp on high-density screens and in slides. */
export const PNG_SCALE = 2;

/** The SVG's own width and height (the infographic always states them). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\bwidth="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  const height = Number(/\bheight="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('the SVG has no width and height to rasterize at');
  return { width, height };
}

/** An SVG as a PNG at twice its size, on white; nothing is fetched (the infographic references nothing outside itself). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  svgSize(svg);
  // Loaded when a PNG is asked for: importing badmx never loads the native module.
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    background: '#ffffff',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans', defaultFontFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return new Uint8Array(resvg.render().asPng());
}

export async function renderPngInfographic(run: RunDocument, options: RenderOptions = {}): Promise<Uint8Array> {
  return svgToPng(renderSvgInfographic(run, options));
}

export const pngInfographic: Renderer = {
  name: 'png',
  fileName: 'infographic.png',
  description: 'the infographic as a PNG at twice its size (rendered in process by resvg)',
  render: (run, options) => renderPngInfographic(run, options),
};
