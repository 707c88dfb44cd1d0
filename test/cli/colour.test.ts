import { describe, expect, it } from 'vitest';
import { useColour, type CliIo } from '../../src/cli/cli-io.js';

function io(isTTY: boolean, env: Record<string, string>): CliIo {
  const out = { isTTY, write: () => true };
  return { stdout: out, stderr: out, stdin: Object.assign([], { isTTY: false }) as unknown as CliIo['stdin'], env };
}

describe('colour: NO_COLOR and FORCE_COLOR', () => {
  it('without either: colour only on a terminal', () => {
    expect(useColour(io(true, {}))).toBe(true);
    expect(useColour(io(false, {}))).toBe(false);
  });

  it('NO_COLOR set to anything but the empty string: no colour, even on a terminal (no-color.org)', () => {
    expect(useColour(io(true, { NO_COLOR: '1' }))).toBe(false);
    expect(useColour(io(true, { NO_COLOR: '' }))).toBe(true);
  });

  it('FORCE_COLOR empty, 1, 2, 3 or true: colour even without a terminal; 0 or false: none even on one (as Node and chalk read it)', () => {
    for (const value of ['', '1', '2', '3', 'true']) expect(useColour(io(false, { FORCE_COLOR: value })), value).toBe(true);
    for (const value of ['0', 'false']) expect(useColour(io(true, { FORCE_COLOR: value })), value).toBe(false);
  });

  it('FORCE_COLOR outranks NO_COLOR, as in Node', () => {
    expect(useColour(io(false, { FORCE_COLOR: '1', NO_COLOR: '1' }))).toBe(true);
    expect(useColour(io(true, { FORCE_COLOR: '0', NO_COLOR: '' }))).toBe(false);
  });
});
