import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Teardown } from './teardown';

/** The state directory: the emulators' data, the card pepper and the admin token, kept across restarts. */
export interface LocalState {
  stateDir: string;
  dataDir: string;
  pepperFile: string;
  adminToken: string;
}

/** Creates the state directory on first start (`fresh` empties its data); the secrets are generated once. */
export async function prepareState(stateDirOption: string, fresh = false): Promise<LocalState> {
  const stateDir = path.resolve(stateDirOption);
  const dataDir = path.join(stateDir, 'data');
  if (fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const pepperFile = await ensureSecretFile(path.join(stateDir, 'card-pepper'), 48);
  const adminToken = (await readFile(await ensureSecretFile(path.join(stateDir, 'admin-token'), 32), 'utf8')).trim();
  return { stateDir, dataDir, pepperFile, adminToken };
}

async function ensureSecretFile(file: string, bytes: number): Promise<string> {
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(bytes).toString('base64url'), { mode: 0o600 });
  }
  await chmod(file, 0o600);
  return file;
}

/** Writes `<stateDir>/local.json` for clients, and removes it when the stack stops. */
export async function publishEndpoints(stateDir: string, endpoints: object, teardown: Teardown) {
  const endpointsFile = path.join(stateDir, 'local.json');
  // Written whole, then renamed into place: whoever waits for this file never reads half of it.
  await writeFile(`${endpointsFile}.tmp`, JSON.stringify(endpoints, null, 2), { mode: 0o600 });
  await rename(`${endpointsFile}.tmp`, endpointsFile);
  teardown.add(() => rm(endpointsFile, { force: true }));
}
