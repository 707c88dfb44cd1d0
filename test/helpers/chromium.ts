import { chromium, type Browser } from 'playwright-core';
import { afterAll } from 'vitest';
import { requireTool } from './require-tool.js';

/** Debian's chromium package; harness/install-deps.sh installs it. Without it the browser tests fail, never skip. */
export const CHROMIUM = process.env.BADMX_CHROMIUM ?? '/usr/bin/chromium';

/** How Chromium runs here: headless, as root, and asking nothing of the (closed) network by itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export async function launchChromium(): Promise<Browser> {
  requireTool(CHROMIUM, 'chromium');
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}

/**
 * One Chromium for a whole test file: launched on first use, closed after the file.
 * `const chromium = sharedChromium();` at the top of a describe, then `await chromium()`.
 */
export function sharedChromium(): () => Promise<Browser> {
  let launched: Promise<Browser> | null = null;
  afterAll(async () => {
    if (launched) await (await launched).close();
  });
  return () => {
    requireTool(CHROMIUM, 'chromium');
    launched ??= launchChromium();
    return launched;
  };
}

