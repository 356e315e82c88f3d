import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Teardown } from './teardown';
import { writeWholeFile } from './whole-file';

/** The state directory: the emulators' data (the operators' user pool included) and the card pepper, kept across restarts. */
export interface LocalState {
  stateDir: string;
  dataDir: string;
  pepperFile: string;
  /** The key the customers' API signs its history cursors with (the cloud keeps it in Secrets Manager). */
  customerCursorKeyFile: string;
}

/** Creates the state directory on first start (`fresh` empties its data); the secrets are generated once. */
export async function prepareState(stateDirOption: string, fresh = false): Promise<LocalState> {
  const stateDir = path.resolve(stateDirOption);
  const dataDir = path.join(stateDir, 'data');
  if (fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const pepperFile = await ensureSecretFile(path.join(stateDir, 'card-pepper'), 48);
  const customerCursorKeyFile = await ensureSecretFile(path.join(stateDir, 'customer-cursor-key'), 48);
  // The shared admin token of earlier versions gives way to the operators' own sign-in.
  await rm(path.join(stateDir, 'admin-token'), { force: true });
  return { stateDir, dataDir, pepperFile, customerCursorKeyFile };
}

async function ensureSecretFile(file: string, bytes: number): Promise<string> {
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeWholeFile(file, randomBytes(bytes).toString('base64url'));
  }
  await chmod(file, 0o600);
  return file;
}

/** Writes `<stateDir>/local.json` for clients (again whenever it changes), and removes it when the stack stops. */
export async function publishEndpoints(stateDir: string, endpoints: object, teardown?: Teardown) {
  const endpointsFile = path.join(stateDir, 'local.json');
  await writeWholeFile(endpointsFile, JSON.stringify(endpoints, null, 2));
  teardown?.add(() => rm(endpointsFile, { force: true }));
}
