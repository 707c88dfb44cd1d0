import { describe, expect, it } from 'vitest';
import { JsonInputError, MAX_JSON_DEPTH, parseJson, tooDeepAt } from '../../src/files/parse-json.js';

function errorOf(text: string, maxDepth?: number): JsonInputError {
  try {
    parseJson(text, maxDepth);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonInputError);
    return error as JsonInputError;
  }
  throw new Error('parsed');
}

describe('parseJson', () => {
  it('parses JSON, dropping an editor\'s byte-order mark', () => {
    expect(parseJson('\uFEFF{"a": [1, {"b": "]]]"}]}')).toEqual({ a: [1, { b: ']]]' }] });
  });

  it('accepts nesting up to the limit and refuses one level more, saying where, in one line', () => {
    const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(() => parseJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    const error = errorOf(nested(MAX_JSON_DEPTH + 1));
    expect(error.kind).toBe('depth');
    expect(error.message).toBe(`JSON nested too deeply (more than ${MAX_JSON_DEPTH} levels at line 1, column ${MAX_JSON_DEPTH + 1})`);
  });

  it('refuses 100,000 nested arrays or objects at once, and a deep value that is not even valid JSON', () => {
    for (const text of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000), '['.repeat(100_000)]) {
      const started = Date.now();
      expect(errorOf(text).kind).toBe('depth');
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '['.repeat(1000), t: 'a\\"[[[', u: '"{{{{' });
    expect(tooDeepAt(text, 1)).toBeNull();
    expect(parseJson(text, 1)).toEqual({ s: '['.repeat(1000), t: 'a\\"[[[', u: '"{{{{' });
  });

  it('a syntax error is one line with its line and column, without quoting the file', () => {
    const error = errorOf('{\n  "a": 1\n  "b": 2\n}');
    expect(error.kind).toBe('syntax');
    expect(error.message).toBe("not valid JSON (Expected ',' or '}' after property value at line 3, column 3)");
    const quoted = errorOf('{"zone":\n x}').message;
    expect(quoted).toMatch(/^not valid JSON \(Unexpected token 'x'/);
    expect(quoted).not.toMatch(/[\r\n]/);
  });
});
