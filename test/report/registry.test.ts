import { describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { FORMAT_NAMES, RENDERERS, selectRenderers } from '../../src/report/registry.js';

describe('the renderer registry', () => {
  it('has one renderer per format, each writing its own file', () => {
    expect(FORMAT_NAMES).toEqual(['json', 'html', 'pdf', 'svg', 'png', 'md', 'junit', 'csv']);
    expect(new Set(RENDERERS.map((r) => r.fileName)).size).toBe(RENDERERS.length);
  });

  it('picks renderers by a --format list, in registry order, each once, names trimmed and case-folded', () => {
    expect(selectRenderers('csv, HTML,html,md').map((r) => r.name)).toEqual(['html', 'md', 'csv']);
  });

  it.each([
    ['docx', /^unknown format "docx" in --format: known formats are json, html, pdf, svg, png, md, junit, csv$/],
    ['html,,xml', /^unknown format "xml"/],
    [' , ', /^--format is empty: give one or more of json, html/],
  ])('"%s" is a one-line usage error that lists the known formats', (list, message) => {
    let error: unknown;
    try {
      selectRenderers(list);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as BadmxError).code).toBe('EUSAGE');
    expect((error as BadmxError).message).toMatch(message);
  });
});
