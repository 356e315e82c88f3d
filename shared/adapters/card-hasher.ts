import { createHmac } from 'node:crypto';
import type { NormalizedCard } from '../domain/card-number';
import type { CardHasher, CardHashes } from '../ingest/ports';

/** HMAC-SHA256 with a secret pepper: a stolen table cannot be reversed into card numbers without the secret. */
export class HmacCardHasher implements CardHasher {
  constructor(private readonly pepper: string) {
    if (pepper.length < 32) throw new Error('the card pepper must be at least 32 characters');
  }

  hash(card: NormalizedCard): CardHashes {
    return {
      fullHash: card.kind === 'full' ? this.hmac(card.digits) : undefined,
      lastFourHash: this.hmac(card.lastFour),
      lastFour: card.lastFour,
    };
  }

  private hmac(value: string): string {
    return createHmac('sha256', this.pepper).update(value).digest('hex');
  }
}
