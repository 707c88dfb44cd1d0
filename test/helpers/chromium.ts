import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package; .ci/run installs it. */
export const CHROMIUM = process.env.BADMX_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the browser tests run here. Outside CI a developer without Chromium gets them
 * skipped; in CI (CI set) they run and fail if Chromium is missing, never skip.
 */
export const RUN_BROWSER_TESTS = existsSync(CHROMIUM) || Boolean(process.env.CI);

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: these tests need Debian's chromium package (apt-get install chromium)`);
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
