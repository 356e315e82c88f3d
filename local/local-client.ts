import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { HmacCardHasher } from '../shared/adapters/card-hasher';
import { DynamoDbCustomerStore } from '../shared/adapters/dynamodb/customer-store';
import { keys } from '../shared/adapters/dynamodb/table-keys';
import { parseCardPeppers } from '../shared/adapters/pepper';
import { unquoted } from '../shared/adapters/s3/object-store';
import { normalizeCardNumber } from '../shared/domain/card-number';
import type { CardHasher } from '../shared/ingest/ports';
import type { LocalEndpoints } from './local-stack';

/**
 * Creates a customer named after its id, with these cards linked, as an operator does through the admin API. These
 * customers agreed to marketing messages, so they get every notification.
 */
export async function addCustomer(customers: DynamoDbCustomerStore, hasher: CardHasher, userId: string, ...cardNumbers: string[]) {
  await customers.upsertCustomer({ userId, name: userId, marketingConsent: true });
  for (const number of cardNumbers) await customers.linkCard(userId, hasher.hash(normalizeCardNumber(number)!));
}

/** Talks to a running local stack through its endpoints, with the AWS SDK, as Moma and an operator would. */
export class LocalStackClient {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly db: DynamoDBDocumentClient;
  private readonly customers: DynamoDbCustomerStore;
  private readonly hasher: HmacCardHasher;

  constructor(
    readonly endpoints: LocalEndpoints,
    stateDir: string,
  ) {
    const base = { region: endpoints.region, credentials: endpoints.credentials };
    this.s3 = new S3Client({ ...base, endpoint: endpoints.s3Endpoint, forcePathStyle: true });
    this.sqs = new SQSClient({ ...base, endpoint: endpoints.sqsEndpoint });
    this.db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...base, endpoint: endpoints.dynamodbEndpoint }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.customers = new DynamoDbCustomerStore(this.db, endpoints.tableName);
    const pepperFile = path.join(stateDir, 'card-pepper');
    this.hasher = new HmacCardHasher(parseCardPeppers(readFileSync(pepperFile, 'utf8'), pepperFile));
  }

  static fromEnv(): LocalStackClient {
    const stateDir = process.env.HIVIS_LOCAL_STATE_DIR;
    if (!stateDir)
      throw new Error(
        'HIVIS_LOCAL_STATE_DIR is not set: start the local stack first (npm start), or run the integration tests through jest',
      );
    return new LocalStackClient(JSON.parse(readFileSync(path.join(stateDir, 'local.json'), 'utf8')), stateDir);
  }

  async addCustomer(userId: string, ...cardNumbers: string[]) {
    await addCustomer(this.customers, this.hasher, userId, ...cardNumbers);
  }

  /** Creates many customers, one card each, a few at a time. */
  async addCustomers(customers: { userId: string; cardNumber: string }[], concurrency = 16) {
    const queue = [...customers];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await this.addCustomer(next.userId, next.cardNumber);
      }),
    );
  }

  async countSales(transactionIdPrefix: string) {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.endpoints.tableName,
          FilterExpression: 'begins_with(PK, :prefix) AND SK = :sale AND #status = :awarded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':prefix': `SALE#${transactionIdPrefix}`, ':sale': 'SALE', ':awarded': 'awarded' },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async customer(userId: string) {
    return (await this.customers.getCustomer(userId)) as
      | { points: number; lifetimePoints: number; purchaseCount: number; punchCardsCompleted: number; tier: string; version: number }
      | undefined;
  }

  async sale(transactionId: string) {
    return (await this.db.send(new GetCommand({ TableName: this.endpoints.tableName, Key: keys.sale(transactionId) }))).Item;
  }

  /**
   * The processed-file record of the object now under `key`. Records are keyed by a hash of bucket, key and ETag
   * (never the key itself), so the object's current ETag is read first.
   */
  async fileRecord(key: string): Promise<Record<string, unknown> | undefined> {
    const { bucket, tableName } = this.endpoints;
    let eTag: string;
    try {
      eTag = unquoted((await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? '');
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
    return (await this.db.send(new GetCommand({ TableName: tableName, Key: keys.file(bucket, key, eTag) }))).Item;
  }

  async failuresFrom(sourceFragment: string) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.endpoints.tableName,
          FilterExpression: 'entity = :f',
          ExpressionAttributeValues: { ':f': 'failure' },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.filter((f) => String(f.source).includes(sourceFragment));
  }

  async putMomaFile(key: string, body: string) {
    await this.s3.send(new PutObjectCommand({ Bucket: this.endpoints.bucket, Key: key, Body: body }));
  }

  async sendMomaMessage(body: unknown) {
    return this.sqs.send(new SendMessageCommand({ QueueUrl: this.endpoints.momaQueueUrl, MessageBody: JSON.stringify(body) }));
  }

  async sendMomaBatch(bodies: unknown[]) {
    return this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.endpoints.momaQueueUrl,
        Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: typeof b === 'string' ? b : JSON.stringify(b) })),
      }),
    );
  }

  async queueDepth(queueUrl: string) {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** Calls the admin API as an operator would, with the local bearer token unless told otherwise. */
  async admin(method: string, route: string, body?: unknown, options: { token?: string | null; contentType?: string } = {}) {
    const token = options.token === undefined ? this.endpoints.adminToken : options.token;
    const contentType = options.contentType ?? 'application/json';
    const response = await fetch(`${this.endpoints.adminApiUrl}${route}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  }

  destroy() {
    this.s3.destroy();
    this.sqs.destroy();
    this.db.destroy();
  }
}

/** Polls until the probe returns a truthy value, or fails with the last value seen. */
export async function waitFor<T>(probe: () => Promise<T>, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
