import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface StoredMessage {
  /** Path relative to the store's base (the event log's directory), as events record it. */
  file: string;
  stream: WriteStream;
  /** Remove what was written (the message was refused after all). */
  discard(): void;
}

/** Owner-only: messages hold whatever senders sent, vendors' leaks included. */
export const MESSAGE_FILE_MODE = 0o600;
export const MESSAGE_DIR_MODE = 0o700;

/**
 * Where receivers keep the messages they accept: <dir>/<profile>/<id>.eml, each with the
 * receiver's Received header on top, byte for byte as it would sit in a mailbox.
 * Messages are streamed to disk as they arrive, so memory stays bounded whatever the sizes.
 * Files are created 0600 and the directories the store creates 0700.
 */
export class MessageStore {
  readonly dir: string;
  readonly base: string;
  /** Bytes all messages may take together; past it, take() says no (limits.maxStoredMessageBytes). */
  readonly maxBytes: number;
  /** Called once, when the cap is first reached. */
  onFull: (() => void) | null = null;
  #used = 0;
  #announced = false;

  constructor(dir: string, base: string = dirname(dir), maxBytes = Infinity) {
    this.dir = dir;
    this.base = base;
    this.maxBytes = maxBytes;
  }

  /** Account for `bytes` more of stored message; false when that would pass the cap (onFull is called the first time). */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) {
      if (!this.#announced) {
        this.#announced = true;
        this.onFull?.();
      }
      return false;
    }
    this.#used += bytes;
    return true;
  }

  /** Give back what a message that was not kept after all (refused, cut off, over the cap) had taken. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }

  create(profile: string, id: string): StoredMessage {
    const folder = join(this.dir, profile);
    mkdirSync(folder, { recursive: true, mode: MESSAGE_DIR_MODE });
    const path = join(folder, `${id}.eml`);
    const stream = createWriteStream(path, { mode: MESSAGE_FILE_MODE });
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
