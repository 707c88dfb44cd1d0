import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** harness/: the recipes for real senders under test, shipped with the package. */
export const HARNESS_DIR = fileURLToPath(new URL('../../../harness/', import.meta.url));

/**
 * Fill a recipe file's {{name}} placeholders. Every placeholder must have a value and
 * every value must be used, so a recipe and its code cannot drift apart silently.
 */
export function renderTemplate(file: string, values: Record<string, string | number>): string {
  const text = readFileSync(file, 'utf8');
  const used = new Set<string>();
  const out = text.replace(/\{\{([a-zA-Z]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${file}: no value for {{${name}}}`);
    used.add(name);
    return String(value);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length) throw new Error(`${file}: values given but not used: ${unused.join(', ')}`);
  return out;
}
