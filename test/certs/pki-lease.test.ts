import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePki } from '../../src/certs/pki.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { studyProfiles } from '../helpers/study.js';

const profiles = selectProfiles(studyProfiles(), ['tls1.2']);

describe('a certs directory shared by two badmx runs', () => {
  it('another zone is refused while a fleet holds the directory, and allowed once it is released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-lease-'));
    const held = await ensurePki({ dir, zone: 'one.test', profiles, hold: true });
    const bundle = readFileSync(held.caFile, 'utf8');
    await expect(ensurePki({ dir, zone: 'two.test', profiles })).rejects.toThrow(
      /holds the test PKI for zone one\.test, in use by a running badmx \(pid \d+\), and zone two\.test would need a new root there: give it its own directory \(--certs <dir>\)/,
    );
    // The running fleet's CA bundle is untouched.
    expect(readFileSync(held.caFile, 'utf8')).toBe(bundle);
    // The same zone is fine (another fleet of the same run, or a second sender).
    await ensurePki({ dir, zone: 'one.test', profiles });
    held.release();
    const other = await ensurePki({ dir, zone: 'two.test', profiles });
    expect(readFileSync(other.caFile, 'utf8')).not.toBe(bundle);
  }, 60_000);
});
