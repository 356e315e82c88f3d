import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { secretsManagerClient } from './clients/secrets-manager';

/**
 * The key the customers' API signs its history cursors with, derived from a secret of its own: from Secrets Manager in
 * the cloud (CUSTOMER_CURSOR_KEY_SECRET_ID), from a local file on the local stack (CUSTOMER_CURSOR_KEY_FILE). The
 * function never reads the card pepper. Changing the secret only makes the cursors given out before it invalid.
 */
export async function loadCustomerCursorKey(env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  let secret: string | undefined;
  if (env.CUSTOMER_CURSOR_KEY_SECRET_ID) {
    const out = await secretsManagerClient.getSecretValue({ SecretId: env.CUSTOMER_CURSOR_KEY_SECRET_ID });
    secret = out.SecretString;
    if (!secret) throw new Error(`secret ${env.CUSTOMER_CURSOR_KEY_SECRET_ID} has no string value`);
  } else if (env.CUSTOMER_CURSOR_KEY_FILE) {
    secret = await readFile(env.CUSTOMER_CURSOR_KEY_FILE, 'utf8');
  } else {
    throw new Error('no customer cursor key configured: set CUSTOMER_CURSOR_KEY_SECRET_ID (cloud) or CUSTOMER_CURSOR_KEY_FILE (local)');
  }
  if (secret.trim().length < 32) throw new Error('the customer cursor key must be at least 32 characters');
  return Buffer.from(hkdfSync('sha256', secret.trim(), 'hi-vis-loyalty', 'customer-api history cursors v1', 32));
}
