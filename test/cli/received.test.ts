import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { describe, expect, it } from 'vitest';
import type { ReceivedHop } from '../../src/evidence/received-hop.js';


function badmx(args: string[], input?: string) {
  return runInProcess(['received', ...args], input === undefined ? { stdinTTY: true } : { input });
}

// The header of a real message as it reached the archive mirror (Received fields copied
// from test/evidence/fixtures/received-corpus.json, source cited there), newest on top,
// then a body that itself contains a Received line, which must not be read.
const MESSAGE = [
  'Return-Path: <linuxppc-dev-bounces@lists.ozlabs.org>',
  'Received: from lists.ozlabs.org (lists.ozlabs.org [IPv6:2401:3900:2:1::3])',
  '\tby mail.lfdr.de (Postfix) with ESMTPS id 74B061CC3DD',
  '\tfor <lists+linuxppc-dev@lfdr.de>; Sat,  9 May 2020 21:02:20 +0200 (CEST)',
  'Received: from bilbo.ozlabs.org (lists.ozlabs.org [IPv6:2401:3900:2:1::3])',
  '\tby lists.ozlabs.org (Postfix) with ESMTP id 49KGlr6RqWzDqx2',
  '\tfor <lists+linuxppc-dev@lfdr.de>; Sun, 10 May 2020 05:02:16 +1000 (AEST)',
  'Received: from merlin.infradead.org (merlin.infradead.org',
  ' [IPv6:2001:8b0:10b:1231::1])',
  ' (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  ' key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)',
  ' (No client certificate requested)',
  ' by lists.ozlabs.org (Postfix) with ESMTPS id 49KGgz0yCmzDr5J',
  ' for <linuxppc-dev@lists.ozlabs.org>; Sun, 10 May 2020 04:58:54 +1000 (AEST)',
  'Received: from geoff by merlin.infradead.org with local (Exim 4.92.3 #3 (Red',
  ' Hat Linux)) id 1jXUgC-0003Du-27; Sat, 09 May 2020 18:58:32 +0000',
  'Subject: [PATCH v2 5/9] net/ps3_gelic_net: Remove duplicate error message',
  '',
  'Received: from body.example by nowhere with SMTP; Mon, 5 Jan 2026 09:08:07 +0000',
  '',
].join('\r\n');

describe('badmx received', () => {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-received-'));
  const file = join(dir, 'message.eml');
  writeFileSync(file, MESSAGE);

  it('prints the chain oldest first, one aligned row per hop with its TLS facts', async () => {
    const result = await badmx([file]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^hop\s+from -> by\s+with\s+TLS\s+stated by\s+date$/);
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^1\s+geoff -> merlin\.infradead\.org\s+local\s+plaintext\s+keyword: local\s+2020-05-09T18:58:32Z$/),
      expect.stringMatching(
        /^2\s+merlin\.infradead\.org \[2001:8b0:10b:1231::1\] -> lists\.ozlabs\.org\s+ESMTPS\s+TLSv1\.3, TLS_AES_256_GCM_SHA384, 256 bits, verify: No client certificate requested\s+comment: using TLSv1\.3 with cipher .*\s+2020-05-09T18:58:54Z$/,
      ),
      expect.stringMatching(/^3\s+bilbo\.ozlabs\.org \(lists\.ozlabs\.org\) \[2401:3900:2:1::3\] -> lists\.ozlabs\.org\s+ESMTP\s+plaintext\s+keyword: ESMTP\s+2020-05-09T19:02:16Z$/),
      expect.stringMatching(/^4\s+lists\.ozlabs\.org \[2401:3900:2:1::3\] -> mail\.lfdr\.de\s+ESMTPS\s+TLS \(version not stated\)\s+keyword: ESMTPS\s+2020-05-09T19:02:20Z$/),
    ]);
    // aligned: every row's "->" column starts where the header's does
    const column = (lines[0] ?? '').indexOf('from -> by');
    for (const line of lines.slice(2)) expect(line.slice(0, column).trimEnd()).toMatch(/^\d+$/);
  });

  it('--json prints the hops, oldest first, in the run.json shape', async () => {
    const result = await badmx(['--json', file]);
    expect(result.exitCode).toBe(0);
    const hops = JSON.parse(result.stdout) as ReceivedHop[];
    expect(hops.map((h) => h.id)).toEqual(['1jXUgC-0003Du-27', '49KGgz0yCmzDr5J', '49KGlr6RqWzDqx2', '74B061CC3DD']);
    expect(hops[1]).toEqual({
      raw: expect.stringMatching(/^from merlin\.infradead\.org \(merlin\.infradead\.org \[IPv6:2001:8b0:10b:1231::1\]\) \(using TLSv1\.3 .* \(AEST\)$/) as string,
      from: { helo: 'merlin.infradead.org', rdns: 'merlin.infradead.org', address: '2001:8b0:10b:1231::1' },
      by: { host: 'lists.ozlabs.org', software: 'Postfix' },
      with: 'ESMTPS',
      id: '49KGgz0yCmzDr5J',
      for: 'linuxppc-dev@lists.ozlabs.org',
      date: '2020-05-09T18:58:54.000Z',
      tls: {
        tls: true,
        version: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        bits: 256,
        verify: 'No client certificate requested',
        basis: 'comment',
        statement: expect.stringMatching(/^using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384/) as string,
      },
    });
  });

  it('reads standard input with "-" or with no argument, LF line ends too', async () => {
    const lf = MESSAGE.replace(/\r\n/g, '\n');
    for (const args of [['-'], []]) {
      const result = await badmx([...args, '--json'], lf);
      expect(result.exitCode, args.join(' ')).toBe(0);
      expect((JSON.parse(result.stdout) as ReceivedHop[]).length).toBe(4);
    }
  });

  it('a missing file, a directory, or input without Received fields: one line on stderr, exit 2', async () => {
    const bodyOnly = join(dir, 'body.txt');
    writeFileSync(bodyOnly, 'Subject: hello\n\nReceived: from a by b with SMTP; Mon, 5 Jan 2026 09:08:07 +0000\n');
    const cases: [string[], string | undefined, RegExp][] = [
      [[join(dir, 'nope.eml')], undefined, /^badmx: cannot read .*nope\.eml: no such file$/],
      [[dir], undefined, /^badmx: cannot read .*: is a directory$/],
      [[bodyOnly], undefined, /^badmx: .*body\.txt: no Received fields \(give a whole message or its header block\)$/],
      [['-'], '{"not": "a message"}', /^badmx: standard input: no Received fields/],
      [['--bogus', file], undefined, /^badmx: unknown option '--bogus' \(see --help\)$/],
    ];
    for (const [args, input, message] of cases) {
      const result = await badmx(args, input);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });
});
