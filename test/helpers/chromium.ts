import { chromium, type Browser } from 'playwright-core';
import { requireTool } from './require-tool.js';

/** Debian's chromium package; harness/install-deps.sh installs it. Without it the browser tests fail, never skip. */
export const CHROMIUM = process.env.BADMX_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  requireTool(CHROMIUM, 'chromium');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
