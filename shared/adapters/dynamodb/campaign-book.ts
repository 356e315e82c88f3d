import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignBook, ChangeAuthor, SavedCampaignVersion } from '../../admin/ports';
import type { Campaign } from '../../domain/campaigns';
import * as z from '../../support/zod-mini';
import { keys } from './table-keys';

const positive = z.number().check(z.positive());
// The admin API validated what it saved: this only keeps an item that is not a campaign at all from reaching an award.
const storedCampaign = z.object({
  id: z.string().check(z.regex(/^cmp-[0-9a-f]{16}$/)),
  version: z.number().check(z.int(), z.positive()),
  name: z.string(),
  reward: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('multiplier'), factor: positive }),
    z.object({ kind: z.literal('bonus'), points: positive }),
    z.object({ kind: z.literal('punch_card'), purchases: positive, bonusPoints: positive }),
  ]),
  when: z.object({
    products: z.optional(z.array(z.string())),
    machines: z.optional(z.array(z.string())),
    daysOfWeek: z.optional(z.array(z.number())),
    hours: z.optional(z.object({ from: z.number(), to: z.number() })),
    dates: z.optional(z.object({ from: z.optional(z.string()), to: z.optional(z.string()) })),
  }),
  caps: z.optional(z.object({ perCustomerPerDay: z.optional(z.number()), perCustomer: z.optional(z.number()) })),
  stacking: z.enum(['additive', 'best_of']),
});
const instant = z.iso.datetime();
const storedVersion = z.object({
  campaign: storedCampaign,
  validFrom: instant,
  validTo: z.optional(instant),
  savedAt: z.string(),
  savedBy: z.string(),
  endedBy: z.optional(z.string()),
});

export class DynamoDbCampaignBook implements CampaignBook {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async versions(): Promise<SavedCampaignVersion[]> {
    const versions: SavedCampaignVersion[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': keys.campaignVersion('', 0).PK },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = storedVersion.safeParse(item);
        if (parsed.success) versions.push(parsed.data as SavedCampaignVersion);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return versions;
  }

  async save(campaign: Campaign, validFrom: string, by: ChangeAuthor, now: string): Promise<'saved' | 'conflict'> {
    const put = {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.campaignVersion(campaign.id, campaign.version),
          entity: 'campaign',
          campaignId: campaign.id,
          version: campaign.version,
          campaign,
          validFrom,
          savedAt: now,
          savedBy: by.name,
          savedById: by.id,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
    const replaced =
      campaign.version > 1
        ? [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.campaignVersion(campaign.id, campaign.version - 1),
                UpdateExpression: 'SET validTo = :to, endedBy = :by',
                ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(validTo)',
                ExpressionAttributeValues: { ':to': validFrom, ':by': by.name },
              },
            },
          ]
        : [];
    return this.transact([put, ...replaced], 'saved');
  }

  async end(campaignId: string, version: number, at: string, by: ChangeAuthor): Promise<'ended' | 'conflict'> {
    return this.transact(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: keys.campaignVersion(campaignId, version),
            UpdateExpression: 'SET validTo = :to, endedBy = :by',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(validTo)',
            ExpressionAttributeValues: { ':to': at, ':by': by.name },
          },
        },
      ],
      'ended',
    );
  }

  private async transact<T extends string>(items: object[], done: T): Promise<T | 'conflict'> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items as never }));
      return done;
    } catch (err) {
      if (err instanceof TransactionCanceledException && err.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed'))
        return 'conflict';
      throw err;
    }
  }
}
