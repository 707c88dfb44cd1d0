import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Where receivers keep the messages they accept: <dir>/<profile>/<id>.eml, each with the
 * receiver's Received header on top, byte for byte as it would sit in a mailbox.
 */
export class MessageStore {
  readonly dir: string;
  /** Paths in events are relative to this directory (the event log's), so a run directory can move. */
  readonly base: string;

  constructor(dir: string, base: string = dirname(dir)) {
    this.dir = dir;
    this.base = base;
  }

  save(profile: string, id: string, content: Buffer): string {
    const folder = join(this.dir, profile);
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${id}.eml`);
    writeFileSync(file, content, { mode: 0o644 });
    return relative(this.base, file);
  }
}
