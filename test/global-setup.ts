import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensurePki } from '../src/certs/pki.js';
import { loadCatalogue } from '../src/profiles/catalogue.js';
import { mailboxProfile } from '../src/profiles/mailbox.js';
import { DEFAULT_ZONE } from '../src/profiles/naming.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A test PKI for the built-in catalogue in the default zone, shared by every test file. */
    certsDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-test-pki-'));
  // With the probes' mailbox, as every fleet starts it: no test file has to add its leaf.
  await ensurePki({ dir, zone: DEFAULT_ZONE, profiles: [...loadCatalogue(), mailboxProfile()] });
  project.provide('certsDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
