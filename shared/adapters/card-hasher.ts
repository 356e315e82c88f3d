import { createHmac } from 'node:crypto';
import type { NormalizedCard } from '../domain/card-number';
import type { CardHasher, CardHashes } from '../ingest/ports';
import type { CardPeppers } from './pepper';

const MIN_PEPPER_LENGTH = 32;

/**
 * HMAC-SHA256 with a secret pepper: a stolen table cannot be reversed into card numbers without the secret. During a
 * pepper rotation it hashes each card under the previous pepper too, so cards linked before the rotation still match.
 */
export class HmacCardHasher implements CardHasher {
  private readonly current: string;
  private readonly previous?: string;

  constructor(peppers: string | CardPeppers) {
    const { current, previous } = typeof peppers === 'string' ? { current: peppers, previous: undefined } : peppers;
    for (const pepper of [current, previous]) {
      if (pepper !== undefined && pepper.length < MIN_PEPPER_LENGTH)
        throw new Error(`the card pepper must be at least ${MIN_PEPPER_LENGTH} characters`);
    }
    this.current = current;
    this.previous = previous === current ? undefined : previous;
  }

  hash(card: NormalizedCard): CardHashes {
    return {
      ...hashesUnder(this.current, card),
      lastFour: card.lastFour,
      ...(this.previous ? { previous: hashesUnder(this.previous, card) } : {}),
    };
  }
}

function hashesUnder(pepper: string, card: NormalizedCard) {
  const hmac = (value: string) => createHmac('sha256', pepper).update(value).digest('hex');
  return { fullHash: card.kind === 'full' ? hmac(card.digits) : undefined, lastFourHash: hmac(card.lastFour) };
}
