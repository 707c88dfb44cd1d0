import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netPlan, RESERVED_BLOCKS } from '../helpers/net-plan.js';

const TEST_ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('loopback addresses in the tests (test/helpers/net-plan.ts)', () => {
  it('no block is handed out twice, none is reserved, every one is a /24 of 127.0.0.0/8', () => {
    const seen = new Map<number, string>();
    for (const [owner, blocks] of netPlan()) {
      for (const block of blocks) {
        expect(Number.isInteger(block) && block > 0 && block < 256, `${owner}: ${block}`).toBe(true);
        expect(RESERVED_BLOCKS, `${owner}: block ${block} is reserved`).not.toContain(block);
        expect(seen.get(block), `block ${block} is ${seen.get(block)}'s and ${owner}'s`).toBeUndefined();
        seen.set(block, owner);
      }
    }
  });

  it('no test writes a loopback address of its own: each takes its block from the plan', () => {
    // In code, an address is a string literal or a template; comments may name the plan's blocks.
    const literal = /(['"`])127\.0\.(\d{1,3})\./g;
    const offenders: string[] = [];
    for (const file of sources(TEST_ROOT)) {
      const name = relative(TEST_ROOT, file);
      if (name === join('helpers', 'net-plan.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(literal)) {
        const block = Number(match[2]);
        // 127.0.0.1 (with port 0) and the product's default 127.0.2.x, written as data: see net-plan.ts.
        if (block === 0 || block === 2) continue;
        const line = text.slice(0, match.index).split('\n').length;
        offenders.push(`${name}:${line}: 127.0.${block}.`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
