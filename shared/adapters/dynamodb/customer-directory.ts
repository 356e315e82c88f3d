import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CardHashes, CustomerDirectory } from '../../ingest/ports';
import { cardLinkKeys, GSI1, GSI2, indexKeys, liveCustomer, withoutKeys } from './table-keys';

/** How long a card unknown under both peppers waits before the second look (only during a rotation). */
const MOVE_SETTLE_MS = 50;

type HashPair = { fullHash?: string; lastFourHash: string };

/**
 * Finds the customers who linked a card, through the card-hash indexes. During a pepper rotation a card is looked up
 * under both peppers; a link found only under the previous one is moved to the current pepper's hashes on the way,
 * so the links migrate as their cards are used.
 */
export class DynamoDbCustomerDirectory implements CustomerDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findCustomersByCard(card: CardHashes, limit = 2): Promise<string[]> {
    if (!card.previous) return (await this.linksOf(card, limit)).map((link) => String(link.userId));
    // The previous pepper's links first: a concurrent sale moving one deletes it there only once it exists under the
    // current pepper, so looking there second finds it. Index reads lag writes a little, hence one more look on a miss.
    let [previous, current] = await this.bothPeppers(card, limit);
    if (previous.length === 0 && current.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, MOVE_SETTLE_MS));
      [previous, current] = await this.bothPeppers(card, limit);
    }
    const found = new Set(current.map((link) => String(link.userId)));
    for (const link of previous) {
      if (found.has(String(link.userId))) continue;
      found.add(String(link.userId));
      await this.moveToCurrentPepper(link, card);
    }
    return [...found].slice(0, limit);
  }

  private async bothPeppers(card: CardHashes, limit: number) {
    const previous = await this.linksOf(card.previous!, limit);
    return [previous, await this.linksOf(card, limit)] as const;
  }

  private async linksOf(card: HashPair, limit: number): Promise<Record<string, unknown>[]> {
    const byFull = card.fullHash !== undefined;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byFull ? GSI1 : GSI2,
        KeyConditionExpression: '#pk = :hash',
        ExpressionAttributeNames: { '#pk': byFull ? 'GSI1PK' : 'GSI2PK' },
        ExpressionAttributeValues: {
          ':hash': byFull ? indexKeys.cardByFullHash(card.fullHash!) : indexKeys.cardByLastFourHash(card.lastFourHash),
        },
        Limit: limit,
      }),
    );
    return out.Items ?? [];
  }

  /**
   * The link under the current pepper's hashes (the same card id, last four and link time), the old one deleted, in
   * one transaction. A last-four-only link stays as it is when the sale has the full number: the full hash needs it.
   */
  private async moveToCurrentPepper(link: Record<string, unknown>, card: CardHashes): Promise<void> {
    const userId = String(link.userId);
    const fullHash = link.GSI1PK ? card.fullHash : undefined;
    if (link.GSI1PK && !fullHash) return;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...cardLinkKeys(userId, { fullHash, lastFourHash: card.lastFourHash }),
                  ...withoutKeys(link),
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            { Delete: { TableName: this.tableName, Key: { PK: link.PK, SK: link.SK }, ConditionExpression: 'attribute_exists(PK)' } },
            // Not while the customer is being erased: the erasure deletes the links it finds, and a new one could escape it.
            { ConditionCheck: { TableName: this.tableName, ...liveCustomer(userId) } },
          ],
        }),
      );
    } catch (err) {
      // Moved by a concurrent sale, or linked again under the current pepper meanwhile: the match stands either way.
      if (!(err instanceof TransactionCanceledException)) throw err;
    }
  }
}
