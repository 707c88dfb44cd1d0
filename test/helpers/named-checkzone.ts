import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { requireTool } from './require-tool.js';

/** BIND's zone checker (Debian: bind9-utils; harness/install-deps.sh installs it). */
export const NAMED_CHECKZONE = process.env.BADMX_NAMED_CHECKZONE ?? '/usr/bin/named-checkzone';


export interface CheckedZone {
  ok: boolean;
  /** What named-checkzone said (its errors and warnings). */
  messages: string;
  /** The zone as BIND read it, one record per line: [name, ttl, class, type, rdata]. */
  records: [string, string, string, string, string][];
}

/**
 * Load a zone file with named-checkzone at its strictest (bad host names, NS and MX
 * targets that are addresses or CNAMEs, missing glue, duplicate records are all errors)
 * and have it print the zone back in canonical form: how a real DNS server reads our text.
 */
export async function checkZone(origin: string, text: string): Promise<CheckedZone> {
  // Without it the zone-file tests fail, never skip.
  requireTool(NAMED_CHECKZONE, 'bind9-utils');
  const file = join(mkdtempSync(join(tmpdir(), 'badmx-zone-')), 'zone');
  writeFileSync(file, text);
  const strict = ['-k', 'fail', '-n', 'fail', '-m', 'fail', '-M', 'fail', '-S', 'fail', '-r', 'fail', '-i', 'full'];
  const result = await execa(NAMED_CHECKZONE, [...strict, '-D', '-o', '-', origin, file], { reject: false, timeout: 15_000 });
  const records = result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
      if (!match) throw new Error(`named-checkzone printed a line this test cannot read: ${line}`);
      return [match[1], match[2], match[3], match[4], match[5]] as [string, string, string, string, string];
    });
  return { ok: result.exitCode === 0, messages: result.stderr, records };
}

/** RFC 1035 §5.1 <character-string>s in presentation form ("a\"b" "\195\169") back to their octets. */
export function decodeCharacterStrings(rdata: string): Buffer[] {
  const strings: Buffer[] = [];
  let i = 0;
  while (i < rdata.length) {
    if (rdata[i] === ' ' || rdata[i] === '\t') {
      i++;
      continue;
    }
    if (rdata[i] !== '"') throw new Error(`unquoted TXT data at ${i}: ${rdata}`);
    i++;
    const bytes: number[] = [];
    while (i < rdata.length && rdata[i] !== '"') {
      if (rdata[i] === '\\') {
        const digits = /^\d{3}/.exec(rdata.slice(i + 1))?.[0];
        if (digits) {
          bytes.push(Number(digits));
          i += 4;
        } else {
          bytes.push(rdata.charCodeAt(i + 1));
          i += 2;
        }
      } else {
        bytes.push(rdata.charCodeAt(i));
        i++;
      }
    }
    i++;
    strings.push(Buffer.from(bytes));
  }
  return strings;
}
