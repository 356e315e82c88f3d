import { rename, rm, writeFile } from 'node:fs/promises';

let written = 0;

/**
 * Writes a file whole: to a temporary file beside it, then renamed over it. A reader, or the next start after a
 * kill in the middle of a write, sees the old content or the new, never half. Each call has its own temporary
 * file, so two writes at once cannot rename each other's.
 */
export async function writeWholeFile(file: string, content: string, mode = 0o600): Promise<void> {
  written += 1;
  const temporary = `${file}.${process.pid}.${written}.tmp`;
  try {
    await writeFile(temporary, content, { mode });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
