import { BoundedCache } from '../support/bounded-cache';
import type { CardHashes, CustomerDirectory } from './ports';

export interface CardCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** A card is linked to its customer for a while: 30 s by default, the longest a relinked card may still reach its old customer. */
export const CARD_CACHE_TTL_MS = 30_000;

const cacheKey = (card: Pick<CardHashes, 'fullHash' | 'lastFourHash'>) =>
  card.fullHash !== undefined ? `full:${card.fullHash}` : `last4:${card.lastFourHash}`;

/**
 * Remembers, briefly, which customer a card belongs to, so a card that buys again skips the index query. Only a full
 * card number matching exactly one customer is remembered: an unknown, ambiguous or last-four-only card is looked up
 * every time (it may be linked, or become ambiguous, any moment). A stale account forgets the card, and an award is always guarded by the account's version.
 */
export class CachingCustomerDirectory implements CustomerDirectory {
  private readonly cards: BoundedCache<string, string>;

  constructor(
    private readonly directory: CustomerDirectory,
    options: CardCacheOptions = {},
  ) {
    this.cards = new BoundedCache(options.maxEntries ?? 20_000, options.ttlMs ?? CARD_CACHE_TTL_MS, options.now);
  }

  async findCustomersByCard(card: CardHashes, limit?: number): Promise<string[]> {
    // Only a full card number is remembered: a last four shared by one customer now may be ambiguous the next moment.
    if (card.fullHash === undefined) return this.directory.findCustomersByCard(card, limit);
    const key = cacheKey(card);
    const cached = this.cards.get(key);
    if (cached !== undefined) return [cached];
    const found = await this.directory.findCustomersByCard(card, limit);
    // With a limit of one, a single answer does not tell an unambiguous card.
    if (found.length === 1 && (limit ?? 2) >= 2) this.cards.set(key, found[0]!);
    return found;
  }

  forgetCard(card: Pick<CardHashes, 'fullHash' | 'lastFourHash'>): void {
    this.cards.delete(cacheKey(card));
    this.directory.forgetCard?.(card);
  }
}
