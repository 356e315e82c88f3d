import { randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AdminError } from '../../admin/errors';
import type { CustomerProfile, CustomerStore, LinkedCard } from '../../admin/ports';
import type { CardHashes } from '../../ingest/ports';
import { cardLinkKeys, keys, liveCustomer, withoutKeys } from './table-keys';

/** Card ids are random, 16 hex characters: unrelated to the card or its hash. */
const OPAQUE_CARD_ID = /^[0-9a-f]{16}$/;
const newCardId = () => randomBytes(8).toString('hex');

export type { CustomerProfile, LinkedCard, StoredSale } from '../../admin/ports';

/** Customers and their linked cards. */
export class DynamoDbCustomerStore implements CustomerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates the customer, or updates the profile fields of an existing one without touching the balance. */
  async upsertCustomer(profile: CustomerProfile): Promise<void> {
    const now = new Date().toISOString();
    const consent: { set: string[]; values: Record<string, unknown> } =
      profile.marketingConsent === undefined
        ? { set: ['marketingConsent = if_not_exists(marketingConsent, :false)'], values: { ':false': false } }
        : {
            set: [
              'marketingConsent = :consent',
              profile.marketingConsentAt
                ? 'marketingConsentAt = :consentAt'
                : 'marketingConsentAt = if_not_exists(marketingConsentAt, :consentAt)',
            ],
            values: { ':consent': profile.marketingConsent, ':consentAt': profile.marketingConsentAt ?? now },
          };
    const set = [
      'entity = :entity',
      'userId = :id',
      '#name = :name',
      'email = :email',
      'pushEndpoint = :push',
      ...consent.set,
      'createdAt = if_not_exists(createdAt, :now)',
      'updatedAt = :now',
      ...['points', 'lifetimePoints', 'punchCount', 'punchCardsCompleted', 'purchaseCount'].map((a) => `${a} = if_not_exists(${a}, :zero)`),
      'tier = if_not_exists(tier, :bronze)',
      '#version = if_not_exists(#version, :zero)',
    ];
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.customer(profile.userId),
          UpdateExpression: `SET ${set.join(', ')}`,
          // Never over an erased customer's tombstone, nor one being erased: the route's own check may be a moment old.
          ConditionExpression: 'attribute_not_exists(PK) OR (entity = :entity AND attribute_not_exists(erasure))',
          ExpressionAttributeNames: { '#name': 'name', '#version': 'version' },
          ExpressionAttributeValues: {
            ':entity': 'customer',
            ':id': profile.userId,
            ':name': profile.name ?? null,
            ':email': profile.email ?? null,
            ':push': profile.pushEndpoint ?? null,
            ...consent.values,
            ':now': now,
            ':zero': 0,
            ':bronze': 'Bronze',
          },
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') throw gone(profile.userId);
      throw err;
    }
  }

  async getCustomer(userId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.customer(userId), ConsistentRead: true }));
    return out.Item ? withoutKeys(out.Item) : undefined;
  }

  /**
   * Stores the card's keyed hashes and last four; the number itself is never stored. Linking twice is a no-op that
   * returns the first link. The item's sort key is derived from the hash (so a second link finds the first), while
   * the `cardId` clients see is random: it reveals nothing of the hash.
   */
  async linkCard(userId: string, card: CardHashes): Promise<LinkedCard> {
    const link = cardLinkKeys(userId, card);
    const key = { PK: link.PK, SK: link.SK };
    const linked: LinkedCard = { cardId: newCardId(), last4: card.lastFour, linkedAt: new Date().toISOString() };
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...link,
                  entity: 'card',
                  userId,
                  ...linked,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            // Only to a customer who is there and not being erased: an erasure deletes the links it can see.
            { ConditionCheck: { TableName: this.tableName, ...liveCustomer(userId) } },
          ],
        }),
      );
      return linked;
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      if (err.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') throw gone(userId);
    }
    const existing = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return (await this.shownCards(existing.Item ? [existing.Item] : []))[0] ?? linked;
  }

  /** Unlinks the customer's card with this (opaque) id; false when the customer has no such card. */
  async unlinkCard(userId: string, cardId: string): Promise<boolean> {
    const item = (await this.cardItems(userId)).find((i) => i.cardId === cardId);
    if (!item) return false;
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: item.PK, SK: item.SK } }));
    return true;
  }

  async listCards(userId: string): Promise<LinkedCard[]> {
    return this.shownCards(await this.cardItems(userId));
  }

  private async cardItems(userId: string): Promise<Record<string, unknown>[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :card)',
        ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':card': 'CARD#' },
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  }

  /**
   * What clients see of linked cards. Links made before card ids were opaque carry a prefix of the card's hash as
   * their id: they get a random id first, once (the condition makes a concurrent re-id harmless).
   */
  private async shownCards(items: Record<string, unknown>[]): Promise<LinkedCard[]> {
    return Promise.all(
      items.map(async (item) => {
        let cardId = String(item.cardId);
        if (!OPAQUE_CARD_ID.test(cardId) || `CARD#${cardId}` === item.SK) {
          const fresh = newCardId();
          try {
            await this.db.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: { PK: item.PK, SK: item.SK },
                UpdateExpression: 'SET cardId = :fresh',
                ConditionExpression: 'cardId = :old',
                ExpressionAttributeValues: { ':fresh': fresh, ':old': item.cardId },
              }),
            );
            cardId = fresh;
          } catch (err) {
            if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
            const now = await this.db.send(
              new GetCommand({ TableName: this.tableName, Key: { PK: item.PK, SK: item.SK }, ConsistentRead: true }),
            );
            cardId = String(now.Item?.cardId);
          }
        }
        return { cardId, last4: String(item.last4), linkedAt: String(item.linkedAt) };
      }),
    );
  }
}

const gone = (userId: string) => new AdminError(410, `customer ${userId} was erased or is being erased`);
