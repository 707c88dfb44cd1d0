import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

/**
 * A test keeps links and documented flags true: the README and docs/ may only link to files
 * and headings that exist, name repository paths that exist, and show `badmx` flags and
 * `npm run` scripts that exist. Every failure names the file, the line and the offending text,
 * all of them at once.
 */

const ROOT = join(import.meta.dirname, '../..');
/** Top-level folders whose paths the docs name in code: each must exist. */
const REPO_ROOTS = ['src', 'test', 'harness', 'policies', 'receivers', 'bench'];
/** Accepted on every command. */
const GLOBAL_FLAGS = new Set(['--help', '-h', '--version', '-V']);

interface Doc {
  /** Relative to the repository root, with forward slashes. */
  file: string;
  text: string;
  lines: string[];
  /** Fenced code blocks: the line the content starts on (1-based) and the content lines. */
  fences: { line: number; content: string[] }[];
  /** Inline code spans outside fences: the line they start on and their text (newlines as spaces, `\|` as `|`). */
  spans: { line: number; text: string }[];
  /** The text outside fences with inline code blanked out (same length, same line breaks): where links are read. */
  prose: string;
}

function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files.sort();
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseDoc(file: string): Doc {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const lines = text.split('\n');
  const fences: Doc['fences'] = [];
  const outside: string[] = [];
  let open: { marker: string; line: number; content: string[] } | null = null;
  lines.forEach((line, i) => {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) {
      if (fence?.[1] && fence[1][0] === open.marker[0] && fence[1].length >= open.marker.length && line.trim() === fence[1]) {
        fences.push({ line: open.line, content: open.content });
        open = null;
      } else {
        open.content.push(line);
      }
      outside.push('');
    } else if (fence?.[1]) {
      open = { marker: fence[1], line: i + 2, content: [] };
      outside.push('');
    } else {
      outside.push(line);
    }
  });
  if (open !== null) throw new Error(`${file}: a code fence is never closed`);
  const proseWithCode = outside.join('\n');
  // Inline code: a run of n backticks up to the next run of exactly n (CommonMark).
  const spans: Doc['spans'] = [];
  let prose = '';
  let i = 0;
  while (i < proseWithCode.length) {
    if (proseWithCode[i] !== '`') {
      prose += proseWithCode[i];
      i++;
      continue;
    }
    let n = 0;
    while (proseWithCode[i + n] === '`') n++;
    const ticks = '`'.repeat(n);
    let close = proseWithCode.indexOf(ticks, i + n);
    while (close !== -1 && proseWithCode[close + n] === '`') {
      let after = close;
      while (proseWithCode[after] === '`') after++;
      close = proseWithCode.indexOf(ticks, after);
    }
    if (close === -1) {
      prose += ticks;
      i += n;
      continue;
    }
    const raw = proseWithCode.slice(i + n, close);
    spans.push({ line: lineAt(proseWithCode, i), text: raw.replace(/\n/g, ' ').replace(/\\\|/g, '|').trim() });
    prose += ' '.repeat(n) + raw.replace(/[^\n]/g, ' ') + ' '.repeat(n);
    i = close + n;
  }
  return { file, text, lines, fences, spans, prose };
}

/** GitHub's heading anchor: lower case; only letters, digits, spaces, hyphens and underscores kept; spaces become hyphens. */
function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
    .replace(/<[^>]*>/g, ''); // inline HTML
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file has: its ATX headings (duplicates get -1, -2, …) and explicit `<a id>`/`<a name>`. */
function anchorsOf(doc: Doc): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  doc.prose.split('\n').forEach((line, i) => {
    // Headings are found outside code; their text is read from the original line, inline code and all.
    if (!/^ {0,3}#{1,6}\s/.test(line)) return;
    const text = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(doc.lines[i] ?? '')?.[1] ?? '';
    const base = githubSlug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  });
  for (const match of doc.text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (match[1]) anchors.add(match[1]);
  return anchors;
}

const docs = markdownFiles().map(parseDoc);
const docByFile = new Map(docs.map((doc) => [doc.file, doc]));

function docAt(file: string): Doc {
  const known = docByFile.get(file);
  if (known) return known;
  const doc = parseDoc(file);
  docByFile.set(file, doc);
  return doc;
}

/** Every code text of a document, as command lines: fenced lines (joined over `\` and synopsis continuations) and inline spans. */
function codeTexts(doc: Doc): { line: number; text: string }[] {
  const texts: { line: number; text: string }[] = [];
  for (const fence of doc.fences) {
    let current: { line: number; text: string } | null = null;
    fence.content.forEach((raw, i) => {
      const line = fence.line + i;
      // A backslash continues the line; an indented `[--flag …]` or `--flag` continues a usage synopsis.
      if (current && (current.text.endsWith('\\') || /^\s+(\[|--|\|)/.test(raw))) {
        current.text = `${current.text.replace(/\\$/, '')} ${raw.trim()}`;
        return;
      }
      if (current) texts.push(current);
      current = { line, text: raw };
    });
    if (current) texts.push(current);
  }
  return [...texts, ...doc.spans];
}

interface Failure {
  where: string;
  problem: string;
}

function report(failures: Failure[]): string[] {
  return failures.map((f) => `${f.where}: ${f.problem}`);
}

/** The inline and reference-style link targets in a document's prose, with their lines. */
function links(doc: Doc): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  for (const match of doc.prose.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    found.push({ line: lineAt(doc.prose, match.index), target: match[1] ?? '' });
  }
  for (const match of doc.prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) {
    found.push({ line: lineAt(doc.prose, match.index), target: match[1] ?? '' });
  }
  return found;
}

function checkLinks(doc: Doc): Failure[] {
  const failures: Failure[] = [];
  for (const { line, target } of links(doc)) {
    const where = `${doc.file}:${line}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    if (target === '') {
      failures.push({ where, problem: 'a link with no target' });
      continue;
    }
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    const absolute = pathPart === '' ? join(ROOT, doc.file) : pathPart.startsWith('/') ? join(ROOT, pathPart) : resolve(ROOT, dirname(doc.file), pathPart);
    const inRepo = relative(ROOT, absolute);
    if (inRepo.startsWith('..') || isAbsolute(inRepo)) {
      failures.push({ where, problem: `${target}: points outside the repository` });
      continue;
    }
    if (!existsSync(absolute)) {
      failures.push({ where, problem: `${target}: no such file or folder (${inRepo})` });
      continue;
    }
    if (anchor === null) continue;
    if (!absolute.endsWith('.md') || !statSync(absolute).isFile()) continue; // #L12 on a source file, say
    const anchors = anchorsOf(docAt(inRepo.split('\\').join('/')));
    if (!anchors.has(anchor)) {
      failures.push({ where, problem: `${target}: no heading in ${inRepo} has the anchor #${anchor}` });
    }
  }
  return failures;
}

/** `src/…`, `test/…` and the like in code: each must exist (a glob or a `<placeholder>` is checked up to the folder before it). */
function checkRepoPaths(doc: Doc): { failures: Failure[]; checked: number } {
  const failures: Failure[] = [];
  let checked = 0;
  const pattern = new RegExp(`(?<![\\w.\\/~$@-])((?:${REPO_ROOTS.join('|')})\\/[^\\s\`'"(),;:|\\]]*)`, 'g');
  for (const { line, text } of codeTexts(doc)) {
    for (const match of text.matchAll(pattern)) {
      let path = (match[1] ?? '').replace(/[.]+$/, '');
      const wild = path.search(/[*<{…$[]/);
      if (wild !== -1) path = path.slice(0, path.lastIndexOf('/', wild) + 1);
      checked++;
      if (!existsSync(join(ROOT, path))) failures.push({ where: `${doc.file}:${line}`, problem: `${match[1]}: no such file or folder in the repository` });
    }
  }
  return { failures, checked };
}

/**
 * The source layout block of docs/architecture.md: a folder at the start of a line, then what
 * is in it (over any continuation lines): each listed file name (`run-matrix.ts`,
 * `install-mtas.sh`) and each listed path (`postfix/`, `public/badmx.example.json`,
 * `test/report/fixtures/`) must exist, in that folder or from the repository root.
 */
function checkLayout(): { failures: Failure[]; names: number } {
  const file = 'docs/architecture.md';
  const doc = docAt(file);
  const headingLine = doc.lines.findIndex((line) => /^#{1,6}\s+Source layout\s*$/.test(line));
  const block = doc.fences.find((fence) => fence.line > headingLine + 1);
  if (headingLine === -1 || !block) return { failures: [{ where: file, problem: 'no "Source layout" heading followed by a code block' }], names: 0 };
  const failures: Failure[] = [];
  const entries: { folder: string; line: number; content: string }[] = [];
  block.content.forEach((raw, i) => {
    const line = block.line + i;
    if (raw.trim() === '') return;
    const last = entries[entries.length - 1];
    if (/^\s/.test(raw) && last) {
      last.content += ` ${raw.trim()}`;
      return;
    }
    const [folder = '', ...rest] = raw.trim().split(/\s+/);
    if (!folder.endsWith('/')) {
      failures.push({ where: `${file}:${line}`, problem: `"${folder}": a layout line must start with a folder (ending in /)` });
      return;
    }
    entries.push({ folder, line, content: rest.join(' ') });
  });
  let names = 0;
  for (const { folder, line, content } of entries) {
    const where = `${file}:${line}`;
    names++;
    if (!existsSync(join(ROOT, folder))) {
      failures.push({ where, problem: `${folder}: no such folder` });
      continue;
    }
    // Only the names themselves: no code spans, no parenthesised explanations.
    let listed = content.replace(/`[^`]*`/g, ' ');
    for (let before = ''; before !== listed; ) {
      before = listed;
      listed = listed.replace(/\([^()]*\)/g, ' ');
    }
    for (const item of listed.split(/[,;:]/)) {
      item
        .trim()
        .split(/\s+/)
        .forEach((word, index) => {
          const name = word.replace(/\.$/, '');
          if (!/^[a-z0-9_.-]+(\/[a-z0-9_.-]+)*\/?$/.test(name)) return;
          const isPath = name.includes('/') && (name.endsWith('/') || /\.[a-z][a-z0-9]*$/.test(name));
          const isFile = index === 0 && /\.[a-z][a-z0-9]*$/.test(name);
          if (!isPath && !isFile) return;
          names++;
          const underRoot = REPO_ROOTS.some((root) => name.startsWith(`${root}/`));
          if (existsSync(join(ROOT, folder, name)) || (underRoot && existsSync(join(ROOT, name)))) return;
          failures.push({ where, problem: `${folder} lists ${name}, which does not exist (${join(folder, name)})` });
        });
    }
  }
  return { failures, names };
}

/** Every `badmx <command> … --flag` in code must be a flag of that command; every `npm run <script>` a script of package.json. */
function checkCommands(doc: Doc, flagsOf: Map<string, Set<string>>, scripts: Set<string>): { failures: Failure[]; flags: number } {
  const failures: Failure[] = [];
  let flags = 0;
  for (const { line, text } of codeTexts(doc)) {
    const where = `${doc.file}:${line}`;
    // Quoted arguments are values (`--sender 'command:sendmail -t -i'`) and `<placeholders>` stand
    // for one (`<run.json | run directory>`): never flags of badmx, nor a pipe or a redirection.
    const code = text.replace(/'[^']*'|"[^"]*"/g, 'Q').replace(/<[^<>]*>/g, 'P');
    for (const match of code.matchAll(/(?<![\w./=@-])badmx\s+([a-z][a-z0-9-]*)(?![\w.])/g)) {
      const command = match[1] ?? '';
      const start = match.index + match[0].length;
      // The command's arguments end at a shell operator, a comment, `--`, or the next badmx. A `|`
      // with a space before it is a pipe unless a flag follows (` | [--port-range …]`, `[file | -]`);
      // `nested|flat` is a choice of values.
      const rest = code.slice(start);
      const end = rest.search(/&&|\|\||;|\)|>|`|\s#|(?:^|\s)--(?=\s|$)|\s\|(?!\s*[[-])|(?<![\w./=@-])badmx\s/);
      const args = end === -1 ? rest : rest.slice(0, end);
      const used = [...args.matchAll(/(?<=^|[\s[|])(--[a-zA-Z][\w-]*|-[a-zA-Z])(?=$|[\s=\]|])/g)].map((m) => m[1] ?? '');
      const known = flagsOf.get(command);
      if (!known) {
        if (used.length > 0) failures.push({ where, problem: `badmx ${command}: no such command (in: ${text.trim().replace(/\s+/g, ' ')})` });
        continue;
      }
      for (const flag of used) {
        flags++;
        if (!known.has(flag) && !GLOBAL_FLAGS.has(flag)) failures.push({ where, problem: `badmx ${command} has no ${flag} (in: ${text.trim().replace(/\s+/g, ' ')})` });
      }
    }
    for (const match of code.matchAll(/(?<![\w-])npm\s+(?:run(?:-script)?\s+([\w:.-]+)|(test|start|stop|restart)\b)/g)) {
      const script = match[1] ?? match[2] ?? '';
      if (!scripts.has(script)) failures.push({ where, problem: `npm run ${script}: package.json has no such script` });
    }
  }
  return { failures, flags };
}

describe('the README and docs/: links and documented flags are true', () => {
  it('the slugger makes GitHub heading anchors', () => {
    expect(githubSlug('Long runs: one shared address, crashes, `--resume`, `badmx status`')).toBe('long-runs-one-shared-address-crashes---resume-badmx-status');
    expect(githubSlug('run.json (schemaVersion 2)')).toBe('runjson-schemaversion-2');
    expect(githubSlug('Under attack: the abuse suite and `npm run soak`')).toBe('under-attack-the-abuse-suite-and-npm-run-soak');
    expect(githubSlug('Évaluer un [fournisseur](x.md) snake_case')).toBe('évaluer-un-fournisseur-snake_case');
    const doc: Doc = { ...parseDoc('README.md'), lines: ['# A', '## A', '## A'], prose: '# A\n## A\n## A', text: '' };
    expect([...anchorsOf(doc)]).toEqual(['a', 'a-1', 'a-2']);
  });

  it('every relative link resolves to a file, and every #anchor to a heading in it', () => {
    expect(docs.map((d) => d.file)).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md']));
    const failures = docs.flatMap(checkLinks);
    expect(report(failures)).toEqual([]);
    expect(docs.flatMap(links).length).toBeGreaterThan(50);
  });

  it('every src/, test/, harness/, policies/, receivers/ and bench/ path named in code exists', () => {
    const results = docs.map(checkRepoPaths);
    expect(report(results.flatMap((r) => r.failures))).toEqual([]);
    expect(results.reduce((sum, r) => sum + r.checked, 0)).toBeGreaterThan(20);
  });

  it('the source layout in docs/architecture.md lists only folders and files that exist', () => {
    const { failures, names } = checkLayout();
    expect(report(failures)).toEqual([]);
    expect(names).toBeGreaterThan(50);
  });

  it('every badmx flag shown is a flag of its command, and every npm script shown exists', () => {
    const program = buildProgram();
    const flagsOf = new Map(
      program.commands.map((command) => [command.name(), new Set(command.options.flatMap((option) => [option.long, option.short].filter((f): f is string => !!f)))]),
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const scripts = new Set(Object.keys(pkg.scripts));
    const results = docs.map((doc) => checkCommands(doc, flagsOf, scripts));
    expect(report(results.flatMap((r) => r.failures))).toEqual([]);
    expect(results.reduce((sum, r) => sum + r.flags, 0)).toBeGreaterThan(50);
  });
});
