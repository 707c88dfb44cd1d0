import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

/**
 * The layering rule of docs/architecture.md, as `npm run lint:deps` checks it: src/ has no
 * violation of .dependency-cruiser.js, and the same rules do fail a tree that breaks them.
 */

const ROOT = join(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.js');

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const options: ICruiseOptions = {
    ...(await extractDepcruiseOptions(CONFIG)),
    baseDir,
    tsConfig: { fileName: join(baseDir, 'tsconfig.json') },
  };
  const { output } = await cruise(['src'], options, undefined, { tsConfig: extractTSConfig(join(baseDir, 'tsconfig.json')) });
  if (typeof output === 'string') throw new Error('dependency-cruiser gave text, not a cruise result');
  return output;
}

/** Each violation as one line: rule, from → to, and the way back for a cycle. */
function violations(result: ICruiseResult): string[] {
  return result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${[v.from, ...v.cycle.map((step) => step.name)].join(' → ')})` : ''}`)
    .sort();
}

describe('the layering rule', () => {
  it('holds for src/: no upward import, no cycle between modules or folders, no test or devDependency import', async () => {
    const result = await cruiseTree(ROOT);
    expect(violations(result)).toEqual([]);
    // Resolution works (.js specifiers to .ts files): the whole of src/ was cruised, not its entry points alone.
    expect(result.modules.filter((m) => m.source.startsWith('src/')).length).toBeGreaterThan(100);
    expect(result.modules.some((m) => m.couldNotResolve)).toBe(false);
  });

  it('fails a tree that breaks it, naming both files of every forbidden import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-layering-'));
    const files: Record<string, string> = {
      // A folder cycle: certs is below receivers.
      'src/certs/x.ts': "import { y } from '../receivers/y.js';\nexport const x = (): number => y;\n",
      'src/receivers/y.ts': "import { x } from '../certs/x.js';\nexport const y = 1;\nexport const z = x;\n",
      // run and report are one layer: neither imports the other.
      'src/run/r.ts': "import { p } from '../report/p.js';\nexport const r = p;\n",
      'src/report/p.ts': 'export const p = 1;\n',
      'src/report/q.ts': "import { s } from '../run/s.js';\nexport const q = s;\n",
      'src/run/s.ts': 'export const s = 1;\n',
      // A subfolder is a folder of its own: senders is below senders/mta.
      'src/senders/t.ts': "import { u } from './mta/u.js';\nexport const t = u;\n",
      'src/senders/mta/u.ts': 'export const u = 1;\n',
      // A folder in no layer.
      'src/misc/m.ts': "import { p } from '../report/p.js';\nexport const m = p;\n",
      // Allowed: cli is above run.
      'src/cli/c.ts': "import { s } from '../run/s.js';\nexport const c = s;\n",
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
      'package.json': JSON.stringify({ name: 'layering-fixture', type: 'module' }),
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }

    const found = await cruiseTree(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(violations(found)).toEqual([
      'layering-unlisted: src/misc/m.ts → src/report/p.ts',
      'layering: src/certs/x.ts → src/receivers/y.ts',
      'layering: src/report/q.ts → src/run/s.ts',
      'layering: src/run/r.ts → src/report/p.ts',
      'layering: src/senders/t.ts → src/senders/mta/u.ts',
      'no-circular: src/certs/x.ts → src/receivers/y.ts (cycle: src/certs/x.ts → src/receivers/y.ts → src/certs/x.ts)',
      'no-folder-cycles: src/certs → src/receivers (cycle: src/certs → src/receivers → src/certs)',
      'no-folder-cycles: src/receivers → src/certs (cycle: src/receivers → src/certs → src/receivers)',
      'no-folder-cycles: src/report → src/run (cycle: src/report → src/run → src/report)',
      'no-folder-cycles: src/run → src/report (cycle: src/run → src/report → src/run)',
    ]);
  });

  it('is the layer order docs/architecture.md shows', async () => {
    const { LAYERS } = (await import(pathToFileURL(CONFIG).href)) as { LAYERS: string[][] };
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const block = /## The layering rule\n[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block, 'a code block under "The layering rule"').toBeDefined();
    const shown = (block ?? '')
      .trim()
      .split('\n')
      .map((line) => line.replace(/\s{2,}.*$/, '').split(',').map((entry) => entry.trim()));
    expect(shown).toEqual(LAYERS);
  });
});
