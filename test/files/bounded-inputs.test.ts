import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUserCertificate } from '../../src/certs/user-certificate.js';
import { loadPublicConfig } from '../../src/config/public-config.js';
import { BadmxError } from '../../src/errors.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { loadCatalogue } from '../../src/profiles/catalogue.js';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { JOURNAL_FILE, readJournal } from '../../src/run/run-journal.js';

/**
 * Every file badmx reads from a user, through the function that reads it: too big, not a
 * regular file, or nested deeper than any badmx file is one BadmxError line naming the file
 * (and the limit), decided without reading more than the limit.
 */
const dir = mkdtempSync(join(tmpdir(), 'badmx-bounded-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

function write(name: string, content: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** A file that says it is `bytes` long and holds nothing (sparse): only a read that trusts nothing would notice more. */
function huge(name: string, bytes: number): string {
  const file = write(name, '');
  truncateSync(file, bytes);
  return file;
}

function errorOf(run: () => unknown): BadmxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as Error).message).not.toMatch(/[\r\n]/);
    return error as BadmxError;
  }
  throw new Error('expected an error');
}

const MiB = 1024 * 1024;

describe('user files are bounded', () => {
  it('the public configuration: 1 MiB, a regular file, not too deep', () => {
    const big = huge('big-config.json', MiB + 1);
    expect(errorOf(() => loadPublicConfig(big)).message).toBe(`${big}: cannot read it (larger than the 1 MiB limit)`);
    expect(errorOf(() => loadPublicConfig('/dev/zero')).message).toBe('/dev/zero: cannot read it (is a character device, not a regular file)');
    expect(errorOf(() => loadPublicConfig(fifo)).message).toBe(`${fifo}: cannot read it (is a FIFO, not a regular file)`);
    const deep = write('deep-config.json', DEEP);
    expect(errorOf(() => loadPublicConfig(deep)).message).toBe(`${deep}: JSON nested too deeply (more than 64 levels at line 1, column 65)`);
  });

  it('the certificate and key: 1 MiB each, regular files', () => {
    const big = huge('big.pem', MiB + 1);
    expect(errorOf(() => loadUserCertificate({ cert: '/dev/zero', key: '/dev/zero' })).message).toBe(
      'certificate /dev/zero: cannot read it (is a character device, not a regular file)',
    );
    expect(errorOf(() => loadUserCertificate({ cert: big, key: big })).message).toBe(`certificate ${big}: cannot read it (larger than the 1 MiB limit)`);
    const cert = write('one.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(errorOf(() => loadUserCertificate({ cert, key: fifo })).message).toBe(`key ${fifo}: cannot read it (is a FIFO, not a regular file)`);
  });

  it('a policy file: 1 MiB, not too deep', () => {
    const big = huge('big-policy.json', MiB + 1);
    expect(errorOf(() => loadPolicy(big)).message).toBe(`policy ${big}: cannot read it (larger than the 1 MiB limit)`);
    expect(errorOf(() => loadPolicy('/dev/zero')).message).toBe('policy /dev/zero: cannot read it (is a character device, not a regular file)');
    const deep = write('deep-policy.json', DEEP);
    expect(errorOf(() => loadPolicy(deep)).message).toBe(`policy ${deep}: JSON nested too deeply (more than 64 levels at line 1, column 65)`);
  });

  it('a profile file: 256 KiB, a regular file, not too deep', () => {
    huge('receivers-big/big.json', 256 * 1024 + 1);
    expect(errorOf(() => loadCatalogue(join(dir, 'receivers-big'))).message).toMatch(/receivers-big\/big\.json: cannot read it \(larger than the 256 KiB limit\)$/);
    mkdirSync(join(dir, 'receivers-fifo'));
    execFileSync('mkfifo', [join(dir, 'receivers-fifo', 'fifo.json')]);
    expect(errorOf(() => loadCatalogue(join(dir, 'receivers-fifo'))).message).toMatch(/fifo\.json: cannot read it \(is a FIFO, not a regular file\)$/);
    write('receivers-deep/deep.json', DEEP);
    expect(errorOf(() => loadCatalogue(join(dir, 'receivers-deep'))).message).toMatch(/deep\.json: JSON nested too deeply \(more than 64 levels at line 1, column 65\)$/);
  });

  it('a saved run.json: 64 MiB, a regular file, not too deep', () => {
    const big = huge('run-big/run.json', 64 * MiB + 1);
    expect(errorOf(() => loadRunDocument(big)).message).toBe(`${big}: cannot read it (larger than the 64 MiB limit)`);
    expect(errorOf(() => loadRunDocument(fifo)).message).toBe(`${fifo}: cannot read it (is a FIFO, not a regular file)`);
    const deep = write('run-deep/run.json', `{"schemaVersion":2,"x":${DEEP}}`);
    expect(errorOf(() => loadRunDocument(join(dir, 'run-deep'))).message).toBe(`${deep}: JSON nested too deeply (more than 64 levels at line 1, column 87)`);
  });

  it('the run journal: 256 MiB, a regular file', () => {
    const big = huge(`journal-big/${JOURNAL_FILE}`, 256 * MiB + 1);
    expect(errorOf(() => readJournal(big)).message).toBe(`${big}: cannot read the run journal (larger than the 256 MiB limit)`);
    mkdirSync(join(dir, 'journal-fifo'));
    const journalFifo = join(dir, 'journal-fifo', JOURNAL_FILE);
    execFileSync('mkfifo', [journalFifo]);
    expect(errorOf(() => readJournal(journalFifo)).message).toBe(`${journalFifo}: cannot read the run journal (is a FIFO, not a regular file)`);
  });
});
