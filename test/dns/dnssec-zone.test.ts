import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { dsPresentation, ensureZoneKey, signatureWindow, type ZoneKey } from '../../src/dns/dnssec.js';
import { renderDnssecRecords, signZone } from '../../src/dns/sign-zone.js';
import { renderZoneFile } from '../../src/dns/zone-file.js';
import { buildZone, type Zone } from '../../src/dns/zone-records.js';
import { stsPublication } from '../../src/profiles/mta-sts-policy.js';
import { requireTool } from '../helpers/require-tool.js';

/**
 * The harness zone signed (RFC 4033-4035) and checked by BIND's dnssec-verify, a real validator
 * of whole zones: every RRset signed by a key the apex publishes, the NSEC chain complete. A
 * signature changed by one octet must fail it, so the check is not vacuous.
 */

const DNSSEC_VERIFY = '/usr/bin/dnssec-verify';
const run = promisify(execFile);
let dir = '';
let key: ZoneKey;
let zone: Zone;

beforeAll(() => {
  requireTool(DNSSEC_VERIFY, 'bind9-utils');
  dir = mkdtempSync(join(tmpdir(), 'badmx-dnssec-'));
  key = ensureZoneKey(dir, 'badmx.test');
  const names = { hostname: 'mx.sts-enforce-valid.badmx.test', domain: 'sts-enforce-valid.badmx.test' };
  zone = buildZone({
    origin: 'badmx.test',
    nameServer: { hostname: 'ns.badmx.test', address: '127.0.2.253' },
    hosts: [
      { domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '127.0.2.6', description: 'badmx profile tls1.2' },
      { ...names, address: '127.0.2.15', mtaSts: stsPublication({ mode: 'enforce', mx: 'covered', policy: 'served', maxAge: 86400 }, names, '127.0.2.15') },
    ],
    mailbox: { domain: 'probes.badmx.test', hostname: 'mx.probes.badmx.test', address: '127.0.2.254' },
    extra: [
      { name: '_25._tcp.mx.tls1.2.badmx.test', type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } },
      { name: 'long.badmx.test', type: 'TXT', ttl: 60, data: 'x'.repeat(600) },
    ],
  });
});

async function verify(text: string): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `zone-${Math.random().toString(36).slice(2)}.db`);
  writeFileSync(file, text);
  try {
    // -z: one combined signing key (flags 257 signs every RRset, RFC 6781 §3.1's single-type scheme), not a KSK/ZSK pair.
    const { stdout, stderr } = await run(DNSSEC_VERIFY, ['-z', '-o', 'badmx.test', file]);
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the signed harness zone', () => {
  it('is fully signed with algorithm 13 and its NSEC chain is complete, says dnssec-verify', async () => {
    const signed = signZone(zone, key, signatureWindow());
    const result = await verify(renderZoneFile(zone) + renderDnssecRecords(signed));
    expect(result.output).toMatch(/Zone fully signed:\s+Algorithm: ECDSAP256SHA256: KSKs: 1 active, 0 stand-by, 0 revoked\s+ZSKs: 0 active, 0 stand-by, 0 revoked/);
    expect(result.ok, result.output).toBe(true);
  });

  it('fails dnssec-verify when one signature is changed', async () => {
    const signed = signZone(zone, key, signatureWindow());
    const rrsig = signed.signatures.get('mx.tls1.2.badmx.test')?.get('A') as { data: { signature: Buffer } };
    rrsig.data.signature[10] = (rrsig.data.signature[10] ?? 0) ^ 0xff;
    const result = await verify(renderZoneFile(zone) + renderDnssecRecords(signed));
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/mx\.tls1\.2\.badmx\.test\/A|No correct ECDSAP256SHA256 signature/i);
  });

  it('fails dnssec-verify when a signature has expired', async () => {
    const signed = signZone(zone, key, signatureWindow(new Date(Date.now() - 30 * 86_400_000)));
    expect((await verify(renderZoneFile(zone) + renderDnssecRecords(signed))).ok).toBe(false);
  });

  it('keeps its key: made once (0600), the same key and DS the next time', () => {
    const again = ensureZoneKey(dir, 'badmx.test');
    expect(again.publicKey.equals(key.publicKey)).toBe(true);
    expect(statSync(join(dir, 'dnssec', 'badmx.test.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'dnssec', 'badmx.test.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(dsPresentation(again)).toMatch(new RegExp(`^badmx\\.test\\.\\t3600\\tIN\\tDS\\t${key.keyTag} 13 2 [0-9A-F]{64}$`));
  });
});
