import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeWholeFile } from '../../local/whole-file';

describe('writeWholeFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'whole-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('leaves one complete version when many writes race, and no temporary file behind', async () => {
    const file = path.join(dir, 'state.json');
    const versions = Array.from({ length: 40 }, (_, i) => JSON.stringify({ version: i, padding: 'x'.repeat(10_000) }));
    await Promise.all(versions.map((content) => writeWholeFile(file, content)));
    expect(versions).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('is readable by its owner only', async () => {
    const file = path.join(dir, 'secret');
    await writeWholeFile(file, 'pepper');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('cleans up and reports a write it cannot finish', async () => {
    await expect(writeWholeFile(path.join(dir, 'missing', 'file'), 'x')).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});
