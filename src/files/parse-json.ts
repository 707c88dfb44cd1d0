/**
 * JSON from a user's file, parsed so that every problem is one line. JSON.parse itself
 * copes with any nesting, but what comes after it (zod, JSON.stringify in an error
 * message, any recursive walk) overflows the stack on an input like 100,000 nested
 * arrays: such input is refused before it is parsed. No file badmx reads nests more than
 * a handful of levels (a run.json about 6), so the limit leaves ample room.
 */
import { BadmxError } from '../errors.js';
import { oneLine } from '../text/one-line.js';
export const MAX_JSON_DEPTH = 64;

/** Why a text is not usable JSON: `message` is one line, ready to follow "<file>: ". */
export class JsonInputError extends BadmxError {
  /** `syntax`: not JSON; `depth`: nested deeper than the limit. */
  readonly kind: 'syntax' | 'depth';

  constructor(message: string, kind: 'syntax' | 'depth', options?: ErrorOptions) {
    super(message, 'EINPUT', options);
    this.name = 'JsonInputError';
    this.kind = kind;
  }
}

/**
 * Parse `text` as JSON, refusing nesting deeper than `maxDepth` arrays and objects. A
 * byte-order mark (an editor's) is not an error. Throws JsonInputError:
 * `not valid JSON (Unexpected token 'x' at line 2, column 3)` or
 * `JSON nested too deeply (more than 64 levels at line 1, column 65)`.
 */
export function parseJson(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  const json = text.replace(/^\uFEFF/, '');
  const deep = tooDeepAt(json, maxDepth);
  if (deep !== null) {
    throw new JsonInputError(`JSON nested too deeply (more than ${maxDepth} levels at ${lineColumn(json, deep)})`, 'depth');
  }
  try {
    return JSON.parse(json);
  } catch (error) {
    // A RangeError here would be the engine's own limit on nesting: the same answer.
    if (error instanceof RangeError) throw new JsonInputError(`JSON nested too deeply (${oneLine(error.message)})`, 'depth', { cause: error });
    throw new JsonInputError(`not valid JSON (${jsonErrorWhere(json, error as Error)})`, 'syntax', { cause: error });
  }
}

/**
 * Where nesting first goes deeper than `maxDepth` (the offset of the bracket that does),
 * or null. Brackets inside strings do not count; a text that is not JSON is left for
 * JSON.parse to describe. One pass, no recursion, no allocation.
 */
export function tooDeepAt(text: string, maxDepth: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return null;
}

/**
 * What is wrong with the JSON, and where (line, column) when V8 says. V8 quotes the input
 * in some messages ("Unexpected token 'x', "{…}" is not valid JSON"); that quotation may
 * span lines and repeats the file, so it is left out.
 */
export function jsonErrorWhere(text: string, error: Error): string {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  const what = error.message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (position === undefined) return what;
  return `${what} at ${lineColumn(text, Number(position))}`;
}

function lineColumn(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${position - lineStart + 1}`;
}

