import type { RunDocument } from '../document/run-document.js';

/** What a renderer produces: text, or bytes for binary formats (PNG). */
export type RenderOutput = string | Uint8Array;

/**
 * One output format. A renderer is a function of run.json alone (no clock, no machine
 * state), so the same run always renders to the same bytes; the multiplexer
 * (render-all.ts) writes the result and isolates a renderer that throws.
 */
export interface Renderer {
  /** The --format name. */
  readonly name: string;
  /** The file it writes in the output directory. */
  readonly fileName: string;
  /** One line for --help and the README. */
  readonly description: string;
  render(run: RunDocument): RenderOutput | Promise<RenderOutput>;
  /** Why this format cannot be rendered on this machine (a missing converter), or null; lets a run refuse it before it starts. */
  unavailable?(): string | null;
}
