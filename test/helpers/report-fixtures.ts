import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import type { RunDocument } from '../../src/document/run-document.js';

export const FIXTURES = join(import.meta.dirname, '../report/fixtures');

/** A real `badmx demo` run: 2 built-in senders × 14 profiles, in run.json schemaVersion 2 shape; nothing in it is inconclusive. */
export const DEMO_RUN = join(FIXTURES, 'demo-run.json');

/**
 * The demo run plus a relay sender, edited by hand: hops, an evidence mismatch, unsettled cells,
 * hostile strings, and inconclusive cells: builtin:strict refused the controls' certificate, so it
 * has a diagnosis and all its cells are inconclusive (no-control); the relay bounced one probe
 * (a hostile diagnostic), refused one and could not be reached for one (3 attempts).
 */
export const HOSTILE_RUN = join(FIXTURES, 'hostile-run.json');

/** A fresh copy of a fixture, read through the real loader (so the fixtures are valid run.json). */
export function loadFixture(file: string): RunDocument {
  return loadRunDocument(file).document;
}

/** Where tests leave screenshots and rendered images for a person to look at (git-ignored). */
export function artifactDir(): string {
  const dir = join(import.meta.dirname, '../../reports/test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The hostile strings planted in HOSTILE_RUN, as they appear there. */
export const HOSTILE = {
  sender: 'vendor "relay" | <b>x</b>, 1',
  scriptHelo: '<script>window.__badmxPwned=1</script>',
  attributeHelo: '"><img src=x onerror="window.__badmxPwned=2">',
  controlHelo: 'evil\u0001\u001b[31mred',
  multilineReason: 'delivered in plaintext, but must not deliver: "quoted", comma | pipe\nsecond line',
  /** The relay's bounce for its sha1-signature probe: markup, quotes, a pipe and control bytes. */
  bounceDiagnostic: 'smtp; 554 5.4.4 <script>window.__badmxPwned=4</script> Host not found: "mx.sha1-signature" | name=<b>x</b>, type=A \u0001\u001b[31mred',
  /** The sender that delivered to no control profile (its `diagnosis` is set, its cells inconclusive). */
  diagnosedSender: 'builtin:strict',
} as const;
