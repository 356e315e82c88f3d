import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignBook, ChangeAuthor, SavedCampaignVersion } from '../../admin/ports';
import type { Campaign } from '../../domain/campaigns';
import { keys } from './table-keys';

// The admin API validated what it saved: this only keeps an item that is not a campaign version at all (a foreign
// item, an unreadable instant that would read as "no end") from reaching an award. Checked by hand: a schema library's
// unions and records would be the largest part of this code in every ingest bundle.
const isInstant = (value: unknown) =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) && Number.isFinite(Date.parse(value));
const isPositive = (value: unknown) => typeof value === 'number' && value > 0 && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown) => value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'));

function isReward(reward: unknown): boolean {
  if (!isObject(reward)) return false;
  if (reward.kind === 'multiplier') return isPositive(reward.factor);
  if (reward.kind === 'bonus') return isPositive(reward.points);
  return reward.kind === 'punch_card' && isPositive(reward.purchases) && isPositive(reward.bonusPoints);
}

function isCampaign(campaign: unknown): campaign is Campaign {
  if (!isObject(campaign) || !isObject(campaign.when)) return false;
  const { when } = campaign;
  return (
    typeof campaign.id === 'string' &&
    /^cmp-[0-9a-f]{16}$/.test(campaign.id) &&
    Number.isInteger(campaign.version) &&
    isPositive(campaign.version) &&
    typeof campaign.name === 'string' &&
    isReward(campaign.reward) &&
    strings(when.products) &&
    strings(when.machines) &&
    (when.daysOfWeek === undefined || (Array.isArray(when.daysOfWeek) && when.daysOfWeek.every(Number.isInteger))) &&
    (when.hours === undefined || (isObject(when.hours) && Number.isInteger(when.hours.from) && Number.isInteger(when.hours.to))) &&
    (when.dates === undefined || isObject(when.dates)) &&
    (campaign.caps === undefined || isObject(campaign.caps)) &&
    (campaign.stacking === 'additive' || campaign.stacking === 'best_of')
  );
}

function storedVersion(item: Record<string, unknown>): SavedCampaignVersion | undefined {
  const { campaign, validFrom, validTo, savedAt, savedBy, endedBy } = item;
  if (!isCampaign(campaign) || !isInstant(validFrom) || (validTo !== undefined && !isInstant(validTo))) return undefined;
  return {
    campaign,
    validFrom: validFrom as string,
    ...(validTo === undefined ? {} : { validTo: validTo as string }),
    savedAt: String(savedAt),
    savedBy: String(savedBy),
    ...(typeof endedBy === 'string' ? { endedBy } : {}),
  };
}

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
        const version = storedVersion(item);
        if (version) versions.push(version);
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
