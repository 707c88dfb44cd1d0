import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Room for any real header section: the bytes read from a message file before looking
 * for its Received fields. Received fields are all in the header (RFC 5322 §3.6.7), so
 * the body, which may be megabytes, is never read.
 */
export const MESSAGE_HEAD_BYTES = 1024 * 1024;

/** The first `maxBytes` of a file, as UTF-8 text (invalid bytes become U+FFFD). Throws what fs throws. */
export function readMessageHead(path: string, maxBytes: number = MESSAGE_HEAD_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    let length = 0;
    while (length < maxBytes) {
      const read = readSync(fd, buffer, length, maxBytes - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
