import { BadmxError } from '../errors.js';
import type { CliInput } from './cli-io.js';

/**
 * Standard input as bytes, never holding much more than `limit`; a terminal is refused rather
 * than waited on (`usage` says what to give instead). Past the limit: `truncate` keeps the first
 * `limit` bytes (a message head is all that is read anyway), or the error `tooBig` is thrown.
 */
export async function readStdinBytes(stdin: CliInput, options: { limit: number; usage: string; tooBig: (() => BadmxError) | 'truncate' }): Promise<Buffer> {
  if (stdin.isTTY) throw new BadmxError(options.usage, 'EUSAGE');
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk);
    chunks.push(buffer);
    length += buffer.length;
    if (length >= options.limit && options.tooBig === 'truncate') break;
    if (length > options.limit && options.tooBig !== 'truncate') throw options.tooBig();
  }
  return Buffer.concat(chunks).subarray(0, options.limit);
}
