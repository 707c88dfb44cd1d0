import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runInProcess, type CliResult } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * TLS reports (RFC 8460) end to end through the CLI: builtin:mta-sts reports what it met, the
 * fleet takes the reports by mail and by HTTPS POST, `badmx run` says each as it arrives,
 * `badmx status` lists them from the run directory, and `badmx tlsrpt` reads a stored one.
 * Root: the senders deliver by MX to port 25 and fetch policies from port 443, as on the internet.
 */

let dir = '';
let run: CliResult;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (ports 25, 53 and 443 on 127.0.200.x)');
  dir = mkdtempSync(join(tmpdir(), 'badmx-tlsrpt-cli-'));
  run = await runInProcess([
    'run',
    '--sender', 'builtin:mta-sts',
    '--profile', 'sts-enforce-valid', 'sts-enforce-expired', 'sts-policy-unreachable',
    '--policy', 'mta-sts',
    '--address-base', testNet('mta-sts/tlsrpt-cli').base,
    '--dns', testNet('mta-sts/tlsrpt-cli').host(253),
    '--certs', inject('certsDir'),
    '--out', dir,
    '--format', 'json',
  ]);
}, 120_000);

describe('TLS reports through the CLI', () => {
  it('badmx run judges the cells and says each report as it arrives', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('badmx: TLS report by mail: builtin:mta-sts on sts-enforce-expired.badmx.test (sts): 0 successful, 1 failed (certificate-expired: 1)');
    expect(run.stderr).toContain('badmx: TLS report by HTTPS: builtin:mta-sts on sts-enforce-valid.badmx.test (sts): 1 successful, 0 failed');
    expect(run.stderr).toContain('badmx: TLS report by mail: builtin:mta-sts on sts-policy-unreachable.badmx.test (sts): 1 successful, 1 failed (sts-policy-fetch-error: 1)');
  });

  it('badmx status lists the reports of the run from its directory', async () => {
    const status = await runInProcess(['status', dir]);
    expect(status.exitCode, status.stderr).toBe(0);
    // three profiles by mail, and by HTTPS where the policy host serves (valid and expired): five
    expect(status.stdout).toContain('TLS reports (RFC 8460) received: 5');
    expect(status.stdout).toMatch(/builtin:mta-sts by mail: sts-enforce-expired: 0 ok, 1 failed \(certificate-expired\)/);
  });

  it('badmx tlsrpt reads a report the fleet stored (a POST body, gzipped)', async () => {
    const stored = readdirSync(join(dir, 'tlsrpt'));
    expect(stored.length).toBe(2);
    const read = await runInProcess(['tlsrpt', join(dir, 'tlsrpt', stored[0] ?? ''), '--format', 'json']);
    expect(read.exitCode, read.stderr).toBe(0);
    const reports = JSON.parse(read.stdout) as { 'organization-name': string }[] | { reports: { 'organization-name': string }[] };
    const list = Array.isArray(reports) ? reports : reports.reports;
    expect(list[0]?.['organization-name']).toBe('builtin:mta-sts');
  });
});
