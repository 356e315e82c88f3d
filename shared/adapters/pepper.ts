import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from './clients/secrets-manager';

/**
 * The card-hash pepper: from Secrets Manager in the cloud (CARD_PEPPER_SECRET_ID), from a local file on the
 * local stack (CARD_PEPPER_FILE). Read once per process.
 */
export async function loadCardPepper(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.CARD_PEPPER_SECRET_ID) {
    const out = await secretsManagerClient.send(new GetSecretValueCommand({ SecretId: env.CARD_PEPPER_SECRET_ID }));
    if (!out.SecretString) throw new Error(`secret ${env.CARD_PEPPER_SECRET_ID} has no string value`);
    return out.SecretString.trim();
  }
  if (env.CARD_PEPPER_FILE) return (await readFile(env.CARD_PEPPER_FILE, 'utf8')).trim();
  throw new Error('no card pepper configured: set CARD_PEPPER_SECRET_ID (cloud) or CARD_PEPPER_FILE (local)');
}
