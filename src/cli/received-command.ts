import { readStdinBytes } from './read-stdin.js';
import type { Command } from 'commander';
import type { CliContext } from './cli-io.js';
import { BadmxError } from '../errors.js';
import { receivedHopsOldestFirst } from '../evidence/parse-received.js';
import { MESSAGE_HEAD_BYTES, readMessageHead } from '../evidence/read-message-head.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import { hopBasisText } from '../report/evidence-text.js';
import { printable } from '../text/printable.js';
import { formatTable } from './table.js';
import { examplesText } from './help-text.js';

/**
 * `badmx received [file|-] [--json]`: the Received chain of a message or a block of
 * header fields, oldest hop first, with what each hop says about TLS.
 *
 * A file (or stdin) without a single Received field is an error (one line, exit 2)
 * rather than an empty table: it is almost always the wrong file (a body, a JSON
 * report), and a script piping messages in should notice.
 */
export function registerReceivedCommand(program: Command, { io }: CliContext): void {
  program
    .command('received')
    .description("read a message's Received fields and show each hop's TLS facts, oldest hop first")
    .argument('[file]', 'a message or a block of header fields; "-" or nothing reads standard input')
    .option('--json', 'print the hops as a JSON array (the run.json `hops` shape)')
    .addHelpText('after', examplesText(["badmx received ~/.local/share/badmx/run-2026-05-01T09-00-00Z/messages/tls1.2/<id>.eml", "badmx received --json < message.eml"])).action(async (file: string | undefined, flags: { json?: boolean }) => {
      const { name, text } = file === undefined || file === '-' ? { name: 'standard input', text: (await readStdinBytes(io.stdin, { limit: MESSAGE_HEAD_BYTES, usage: 'no input: give a message file, or pipe one in (badmx received - < message.eml)', tooBig: 'truncate' })).toString('utf8') } : { name: file, text: readFile(file) };
      const hops = receivedHopsOldestFirst(text);
      if (hops.length === 0) {
        throw new BadmxError(`${name}: no Received fields (give a whole message or its header block)`, 'EINPUT');
      }
      io.stdout.write(flags.json ? `${JSON.stringify(hops, null, 2)}\n` : `${formatHops(hops)}\n`);
    });
}

/** The chain as an aligned table: hop, from -> by, protocol, TLS facts, date (UTC). */
export function formatHops(hops: ReceivedHop[]): string {
  const rows = hops.map((hop, i) => [
    String(i + 1),
    `${fromText(hop)} -> ${hop.by.host ?? '?'}`,
    hop.with ?? '-',
    tlsText(hop),
    hopBasisText(hop),
    hop.date ? hop.date.replace(/\.000Z$/, 'Z') : '-',
  ]);
  return formatTable(['hop', 'from -> by', 'with', 'TLS', 'stated by', 'date'], rows.map((row) => row.map((cell) => printable(cell, 200))));
}

function fromText(hop: ReceivedHop): string {
  const { helo, rdns, address } = hop.from;
  const parts = [helo ?? (rdns === null && address === null ? '?' : ''), rdns !== null && rdns !== helo ? `(${rdns})` : '', address !== null ? `[${address}]` : ''];
  return parts.filter(Boolean).join(' ');
}

/** TLS as the field states it: the facts, or "plaintext" (it claims no TLS), or "unknown" (it says nothing we can read). */
export function tlsText(hop: ReceivedHop): string {
  const { tls, version, cipher, bits, verify } = hop.tls;
  if (tls === false) return 'plaintext';
  if (tls === 'unknown') return 'unknown';
  return [version ?? 'TLS (version not stated)', cipher, bits === null ? null : `${bits} bits`, verify === null ? null : `verify: ${verify}`].filter(Boolean).join(', ');
}

function readFile(path: string): string {
  try {
    return readMessageHead(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new BadmxError(`cannot read ${path}: ${why}`, 'EINPUT', { cause: error });
  }
}
