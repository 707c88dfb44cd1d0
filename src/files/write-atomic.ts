import { renameSync, rmSync, writeFileSync } from 'node:fs';

/** Writes a file atomically (temp file + rename), so a reader never sees half of it. */
export function writeAtomic(file: string, content: string | Uint8Array, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, content, { mode });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
