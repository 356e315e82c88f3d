import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';

const PAGE = 1_000;

/**
 * How far behind the local stack's stream pollers (local/stream-poller.ts) are: the stream records after the
 * checkpoint each poller saved (`<dataDir>/stream-<function>.json`, written once the function has handled them). The
 * pollers expose no backlog, so it is read here, from the stream itself, without touching their state.
 */
export class StreamBacklog {
  private readonly dynamodb: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;
  private streamArn: string | undefined;

  constructor(
    private readonly options: { endpoint: string; region: string; tableName: string; dataDir: string; functions: readonly string[] },
  ) {
    const config = { endpoint: options.endpoint, region: options.region, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
    this.dynamodb = new DynamoDBClient(config);
    this.streams = new DynamoDBStreamsClient(config);
  }

  /** Records not yet handled, per function (counted up to a few thousand per shard: enough to tell "behind"). */
  async count(): Promise<Record<string, number>> {
    this.streamArn ??= (await this.dynamodb.send(new DescribeTableCommand({ TableName: this.options.tableName }))).Table?.LatestStreamArn;
    if (!this.streamArn) throw new Error(`${this.options.tableName} has no stream`);
    const shards = await this.shards();
    const backlog: Record<string, number> = {};
    for (const fn of this.options.functions) {
      const checkpoints = this.checkpoints(fn);
      let behind = 0;
      for (const shard of shards) behind += await this.recordsAfter(shard.ShardId!, checkpoints[shard.ShardId!]);
      backlog[fn] = behind;
    }
    return backlog;
  }

  private async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  private checkpoints(fn: string): Record<string, string> {
    const file = path.join(this.options.dataDir, `stream-${fn}.json`);
    if (!existsSync(file)) return {};
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      // Being rewritten at this moment: count it as behind, the next look will read it.
      return {};
    }
  }

  private async recordsAfter(shardId: string, checkpoint: string | undefined): Promise<number> {
    let iterator = (
      await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: checkpoint ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
          SequenceNumber: checkpoint,
        }),
      )
    ).ShardIterator;
    let count = 0;
    for (let page = 0; iterator && page < 5; page++) {
      const out = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE }));
      const records = out.Records?.length ?? 0;
      count += records;
      if (records < PAGE) break;
      iterator = out.NextShardIterator;
    }
    return count;
  }

  destroy() {
    this.dynamodb.destroy();
    this.streams.destroy();
  }
}
