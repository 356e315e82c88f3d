import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CardHashes, SaleRecord } from '../../ingest/ports';
import { indexKeys, keys, withoutKeys } from './table-keys';

export interface CustomerProfile {
  userId: string;
  name?: string;
  email?: string;
  pushEndpoint?: string;
}

export interface LinkedCard {
  cardId: string;
  last4: string;
  linkedAt: string;
}

export type StoredSale = SaleRecord & { status: 'awarded' | 'unmatched' | 'reversed'; userId?: string; points?: number; unmatchedReason?: string };

/** Customers, their linked cards, and sales read back by id. */
export class DynamoDbCustomerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates the customer, or updates the profile fields of an existing one without touching the balance. */
  async upsertCustomer(profile: CustomerProfile): Promise<void> {
    const now = new Date().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.customer(profile.userId),
        UpdateExpression:
          'SET entity = :entity, userId = :id, #name = :name, email = :email, pushEndpoint = :push, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, ' +
          'points = if_not_exists(points, :zero), lifetimePoints = if_not_exists(lifetimePoints, :zero), tier = if_not_exists(tier, :bronze), ' +
          'punchCount = if_not_exists(punchCount, :zero), punchCardsCompleted = if_not_exists(punchCardsCompleted, :zero), purchaseCount = if_not_exists(purchaseCount, :zero), #version = if_not_exists(#version, :zero)',
        ExpressionAttributeNames: { '#name': 'name', '#version': 'version' },
        ExpressionAttributeValues: {
          ':entity': 'customer',
          ':id': profile.userId,
          ':name': profile.name ?? null,
          ':email': profile.email ?? null,
          ':push': profile.pushEndpoint ?? null,
          ':now': now,
          ':zero': 0,
          ':bronze': 'Bronze',
        },
      }),
    );
  }

  async getCustomer(userId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.customer(userId), ConsistentRead: true }));
    return out.Item ? withoutKeys(out.Item) : undefined;
  }

  /** Stores the card's keyed hashes and last four; the number itself is never stored. Linking twice is a no-op. */
  async linkCard(userId: string, card: CardHashes): Promise<LinkedCard> {
    const cardId = (card.fullHash ?? card.lastFourHash).slice(0, 16);
    const linkedAt = new Date().toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.card(userId, cardId),
          ...(card.fullHash ? { GSI1PK: indexKeys.cardByFullHash(card.fullHash), GSI1SK: `CUSTOMER#${userId}` } : {}),
          GSI2PK: indexKeys.cardByLastFourHash(card.lastFourHash),
          GSI2SK: `CUSTOMER#${userId}`,
          entity: 'card',
          userId,
          cardId,
          last4: card.lastFour,
          linkedAt,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    ).catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') throw err;
    });
    return { cardId, last4: card.lastFour, linkedAt };
  }

  async unlinkCard(userId: string, cardId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.card(userId, cardId) }));
  }

  async listCards(userId: string): Promise<LinkedCard[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :card)',
        ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':card': 'CARD#' },
      }),
    );
    return (out.Items ?? []).map((item) => ({ cardId: item.cardId, last4: item.last4, linkedAt: item.linkedAt }));
  }

  async getSale(transactionId: string): Promise<StoredSale | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.sale(transactionId), ConsistentRead: true }));
    return out.Item ? (withoutKeys(out.Item) as unknown as StoredSale) : undefined;
  }
}
