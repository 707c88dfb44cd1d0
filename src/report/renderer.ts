import type { RunDocument } from '../document/run-document.js';

/** What a renderer produces: text, or bytes for binary formats (PNG, PDF). */
export type RenderOutput = string | Uint8Array;

/**
 * What the person rendering asks of every report, as data (never a global): `badmx report
 * --title/--subtitle`, and the same through `renderAll` for run and demo. Each renderer uses
 * what fits its format (JUnit and CSV have no title) and escapes it like any other string.
 */
export interface RenderOptions {
  /** The report's own title, in place of the default heading (HTML, PDF, SVG, PNG, Markdown). */
  readonly title?: string | undefined;
  /** A line under the title; the run's policy is still said. */
  readonly subtitle?: string | undefined;
}

/**
 * One output format. A renderer is a function of run.json and the render options alone (no
 * clock, no machine state), so the same run always renders to the same bytes; the multiplexer
 * (render-all.ts) writes the result and isolates a renderer that throws.
 */
export interface Renderer {
  /** The --format name. */
  readonly name: string;
  /** The file it writes in the output directory. */
  readonly fileName: string;
  /** One line for --help and the README. */
  readonly description: string;
  render(run: RunDocument, options?: RenderOptions): RenderOutput | Promise<RenderOutput>;
  /** Why this format cannot be rendered on this machine (no Chromium for pdf), or null; lets a run refuse it before it starts. */
  unavailable?(): string | null;
}

/** A title or subtitle as given: trimmed, one line; empty means not given. */
export function givenText(text: string | undefined): string | null {
  const trimmed = (text ?? '').replace(/\s+/g, ' ').trim();
  return trimmed === '' ? null : trimmed;
}
