import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Cell, RunDocument } from '../../src/document/run-document.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { attributeConnections } from '../../src/classify/attribute.js';
import { mailboxDomain } from '../../src/profiles/mailbox.js';
import { readEventLog } from '../../src/recorder/event-log.js';
import { mailboxConnections } from '../../src/run/bounce-evidence.js';
import { JOURNAL_FILE, readJournal } from '../../src/run/run-journal.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { studyProfiles } from './study.js';
import type { Profile } from '../../src/profiles/profile-schema.js';

/** The catalogue's misconfigured-certificate profiles (every one a verifying sender must refuse). */
export const BAD_CERTIFICATE = ['self-signed', 'expired', 'not-yet-valid', 'wrong-host', 'untrusted-root', 'incomplete-chain', 'sha1-signature'];

/** One run of managed recipes against the whole catalogue, as a recipe test file reads it. */
export interface RecipeRun {
  readonly run: RunDocument;
  readonly outDir: string;
  /** How long the run took, start to run.json. */
  readonly wallMs: number;
  cell(sender: string, profile: string): Cell;
  /** The MTA's own log, as the run kept it in its directory. */
  senderLog(label: string): string;
  /**
   * The connections that belonged to no probe, as the receivers recorded them. With MTAs side by
   * side, one that never greeted (connect, then close) cannot be told apart by who made it, and
   * honestly belongs to none; one that greeted and is still unattributed would be a mistake.
   */
  strayThatGreeted(): string[];
}

/**
 * Run managed recipes side by side, once for the file (beforeAll), against the study's profiles
 * (or those given) under the strict policy (or the one given), on an address block of the file's own with the harness DNS on its .253;
 * `check` says why this machine cannot (not root, the MTA not installed), before anything starts.
 */
export function runRecipesOnce(options: {
  recipes: readonly string[];
  addressBase: string;
  check: () => void;
  waitMs?: number;
  /** Default: the study's fourteen. */
  profiles?: Profile[];
  /** Default: strict. */
  policy?: string;
}): RecipeRun {
  let run: RunDocument | null = null;
  let outDir = '';
  let wallMs = 0;
  beforeAll(async () => {
    options.check();
    outDir = mkdtempSync(join(tmpdir(), 'badmx-recipes-run-'));
    const started = Date.now();
    run = await runMatrix({
      senders: options.recipes.map((spec) => parseSenderSpec(spec)),
      policy: loadPolicy(options.policy ?? 'strict'),
      profiles: options.profiles ?? studyProfiles(),
      zone: 'badmx.test',
      certsDir: inject('certsDir'),
      addressing: { kind: 'per-profile', base: options.addressBase, port: 25 },
      dns: { address: options.addressBase.replace(/\.0$/, '.253'), port: 53 },
      outDir,
      waitMs: options.waitMs ?? 60_000,
    });
    wallMs = Date.now() - started;
  }, 240_000);
  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });
  const document = (): RunDocument => {
    if (!run) throw new Error('the recipes did not run (see the beforeAll error)');
    return run;
  };
  return {
    get run() {
      return document();
    },
    get outDir() {
      return outDir;
    },
    get wallMs() {
      return wallMs;
    },
    cell(sender, profile) {
      const found = document().cells.find((c) => c.sender === sender && c.profile === profile);
      if (!found) throw new Error(`no cell ${sender} x ${profile}`);
      return found;
    },
    senderLog(label) {
      return readFileSync(join(outDir, 'senders', `${label.replace(/[^a-zA-Z0-9.-]+/g, '_')}.log`), 'utf8');
    },
    strayThatGreeted() {
      const doc = document();
      const events = readEventLog(join(outDir, 'events.jsonl')).events.filter((e) => e.time >= doc.run.startedAt);
      const probes = readJournal(join(outDir, JOURNAL_FILE)).plan.probes;
      const bounces = mailboxConnections(events, mailboxDomain(doc.run.zone), new Set(probes.map((p) => p.recipient.toLowerCase())));
      const { stray } = attributeConnections(
        events.filter((e) => !bounces.has(e.conn)),
        probes,
        doc.schedule.steps,
      );
      return stray.filter((conn) => events.some((e) => e.conn === conn && e.type === 'helo'));
    },
  };
}
