import { readFile } from 'node:fs/promises';
import * as z from '../support/zod-mini';
import { secretsManagerClient } from './clients/secrets-manager';

/** The pepper cards are hashed with, and during a rotation the one before it (cards linked under it still match). */
export interface CardPeppers {
  current: string;
  previous?: string;
}

const rotation = z.strictObject({ current: z.string().check(z.minLength(1)), previous: z.optional(z.string().check(z.minLength(1))) });

/**
 * The secret's value is the pepper itself, or during a rotation `{"current": "...", "previous": "..."}` (see the
 * README's "Rotating the card pepper").
 */
export function parseCardPeppers(value: string, where: string): CardPeppers {
  const text = value.trim();
  if (!text.startsWith('{')) return { current: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where} looks like JSON but is not: expected {"current": "...", "previous": "..."}`);
  }
  const result = rotation.safeParse(parsed);
  if (!result.success) throw new Error(`${where} must be {"current": "...", "previous": "..."}: ${result.error.issues[0]?.message}`);
  return result.data;
}

/**
 * The card-hash peppers: from Secrets Manager in the cloud (CARD_PEPPER_SECRET_ID), from a local file on the
 * local stack (CARD_PEPPER_FILE). Read once per process.
 */
export async function loadCardPeppers(env: NodeJS.ProcessEnv = process.env): Promise<CardPeppers> {
  if (env.CARD_PEPPER_SECRET_ID) {
    const out = await secretsManagerClient.getSecretValue({ SecretId: env.CARD_PEPPER_SECRET_ID });
    if (!out.SecretString) throw new Error(`secret ${env.CARD_PEPPER_SECRET_ID} has no string value`);
    return parseCardPeppers(out.SecretString, `secret ${env.CARD_PEPPER_SECRET_ID}`);
  }
  if (env.CARD_PEPPER_FILE) return parseCardPeppers(await readFile(env.CARD_PEPPER_FILE, 'utf8'), env.CARD_PEPPER_FILE);
  throw new Error('no card pepper configured: set CARD_PEPPER_SECRET_ID (cloud) or CARD_PEPPER_FILE (local)');
}
