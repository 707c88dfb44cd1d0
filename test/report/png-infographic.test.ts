import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { pngInfographic, PNG_SCALE, renderPngInfographic, svgSize, svgToPng } from '../../src/report/png-infographic.js';
import { renderSvgInfographic } from '../../src/report/svg-infographic.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { runInProcess } from '../helpers/cli.js';
import { LONG_LABEL, withLongLabel } from '../helpers/long-label.js';
import { artifactDir, DEMO_RUN, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';
import { requireTool } from '../helpers/require-tool.js';

interface DecodedPng {
  width: number;
  height: number;
  /** RGBA rows, unfiltered. */
  pixels: Buffer;
}

/** A PNG read by the book (signature, chunks and their CRCs, IHDR, IDAT inflated and unfiltered): proof that it decodes, independent of resvg. */
function decodePng(png: Uint8Array): DecodedPng {
  const buffer = Buffer.from(png);
  expect(buffer.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let header: { width: number; height: number; depth: number; colour: number } | null = null;
  const data: Buffer[] = [];
  let ended = false;
  while (at < buffer.length) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.subarray(at + 4, at + 8).toString('latin1');
    const body = buffer.subarray(at + 8, at + 8 + length);
    expect(buffer.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(crc32(buffer.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8] ?? 0, colour: body[9] ?? 0 };
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  expect(ended).toBe(true);
  if (!header) throw new Error('no IHDR');
  expect({ depth: header.depth, colour: header.colour }).toEqual({ depth: 8, colour: 6 }); // 8-bit RGBA
  const raw = inflateSync(Buffer.concat(data));
  const stride = header.width * 4;
  expect(raw.length).toBe(header.height * (stride + 1));
  const pixels = Buffer.alloc(header.height * stride);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= 4 ? (pixels[y * stride + x - 4] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= 4 && y > 0 ? (pixels[(y - 1) * stride + x - 4] ?? 0) : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`bad filter ${filter} on row ${y}`);
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width: header.width, height: header.height, pixels };
}

/** Pixels in a band of rows that are dark (text, icons, rules), not the white page. */
function darkPixels(png: DecodedPng, fromRow: number, toRow: number): number {
  let dark = 0;
  for (let y = fromRow; y < Math.min(toRow, png.height); y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4;
      if ((png.pixels[i] ?? 255) + (png.pixels[i + 1] ?? 255) + (png.pixels[i + 2] ?? 255) < 200) dark++;
    }
  }
  return dark;
}

describe('the PNG infographic, rendered in process by resvg', () => {
  let browser: Browser | null = null;
  afterAll(async () => {
    await browser?.close();
  });

  it.each([
    ['demo', loadFixture(DEMO_RUN)],
    ['hostile', loadFixture(HOSTILE_RUN)],
    ['long-label', withLongLabel(loadFixture(DEMO_RUN))],
  ])('%s: twice the SVG’s size, a valid PNG that decodes, with the title drawn in real glyphs', async (name, run) => {
    const svg = renderSvgInfographic(run, { title: 'Acme outbound mail' });
    const png = await svgToPng(svg);
    const size = svgSize(svg);
    const decoded = decodePng(png);
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: size.width * PNG_SCALE, height: Math.round(size.height * PNG_SCALE) });
    // the title's band (y 30 to 66 in the SVG) holds text: a font was found and drawn
    expect(darkPixels(decoded, 30 * PNG_SCALE, 66 * PNG_SCALE)).toBeGreaterThan(2000);
    // opaque white page
    expect([...decoded.pixels.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
    expect(png.length).toBeGreaterThan(50_000);
    writeFileSync(join(artifactDir(), `infographic-${name}.png`), png);
    writeFileSync(join(artifactDir(), `infographic-${name}.svg`), svg);
  });

  it('a browser decodes it too, at the same size', async () => {
    requireTool(CHROMIUM, 'chromium');
    browser = await launchChromium();
    const png = await renderPngInfographic(loadFixture(DEMO_RUN));
    const page = await browser.newPage();
    await page.setContent(`<img id="png" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`);
    const size = await page.evaluate<{ ok: boolean; width: number; height: number }>(
      `(async () => { const img = document.getElementById('png'); await img.decode(); return { ok: img.complete, width: img.naturalWidth, height: img.naturalHeight }; })()`,
    );
    const svg = svgSize(renderSvgInfographic(loadFixture(DEMO_RUN)));
    expect(size).toEqual({ ok: true, width: svg.width * PNG_SCALE, height: Math.round(svg.height * PNG_SCALE) });
    await page.close();
  });

  it('needs no program on PATH: badmx report --format png writes it with PATH holding only node', async () => {
    expect('unavailable' in pngInfographic).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'badmx-png-cli-'));
    copyFileSync(DEMO_RUN, join(dir, 'run.json'));
    mkdirSync(join(dir, 'bin'));
    symlinkSync(process.execPath, join(dir, 'bin', 'node'));
    const result = await runInProcess(['report', dir, '--format', 'png', '--title', LONG_LABEL], { env: { PATH: join(dir, 'bin') } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`png: ${join(dir, 'infographic.png')}`);
    expect(decodePng(readFileSync(join(dir, 'infographic.png'))).width).toBe(svgSize(renderSvgInfographic(loadFixture(DEMO_RUN))).width * PNG_SCALE);
  });
});
