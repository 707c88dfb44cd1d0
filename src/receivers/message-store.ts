import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface StoredMessage {
  /** Path relative to the store's base (the event log's directory), as events record it. */
  file: string;
  stream: WriteStream;
  /** Remove what was written (the message was refused after all). */
  discard(): void;
}

/**
 * Where receivers keep the messages they accept: <dir>/<profile>/<id>.eml, each with the
 * receiver's Received header on top, byte for byte as it would sit in a mailbox.
 * Messages are streamed to disk as they arrive, so memory stays bounded whatever the sizes.
 */
export class MessageStore {
  readonly dir: string;
  readonly base: string;

  constructor(dir: string, base: string = dirname(dir)) {
    this.dir = dir;
    this.base = base;
  }

  create(profile: string, id: string): StoredMessage {
    const folder = join(this.dir, profile);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${id}.eml`);
    const stream = createWriteStream(path, { mode: 0o644 });
    return {
      file: relative(this.base, path),
      stream,
      discard: () => {
        stream.destroy();
        rmSync(path, { force: true });
      },
    };
  }
}
