import { existsSync } from 'node:fs';

/**
 * Tests that prove something with a real tool (Chromium, rsvg-convert, named-checkzone)
 * never skip: without the tool they fail, naming it and how to get it. The README's test
 * command installs them all (harness/install-deps.sh), and so does CI.
 */
export function requireTool(path: string, debianPackage: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: this test needs Debian's ${debianPackage} package; run "bash harness/install-deps.sh" as root (the README's test command does)`);
  }
  return path;
}
