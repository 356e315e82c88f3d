import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's documented sizing and on-demand charging rules, as pure functions, so the benchmark can price what the
 * functions ask of DynamoDB Local the way real DynamoDB would (DynamoDB Local's own ConsumedCapacity overcounts:
 * 16 units for the award transaction, where the rules below give 8).
 *
 * PRICING_RULES is the same text as the code, written into the benchmark's JSON output.
 */
export const PRICING_RULES = [
  'Item size: the sum over attributes of the UTF-8 length of the name plus the size of the value. Strings: UTF-8 bytes. Numbers: about 1 byte per 2 significant digits (leading and trailing zeros trimmed) plus 1 (plus 1 more when negative). Binary: raw bytes. Boolean and null: 1 byte. List and map: 3 bytes plus their elements, plus 1 byte per element (a map element also counts its key). Sets: the sum of their elements.',
  'Write request units (on demand): a standard PutItem, UpdateItem or DeleteItem costs 1 per KB of item size, rounded up (at least 1). In TransactWriteItems every item costs 2 per KB. A ConditionCheck in a transaction costs 2 per KB of the checked item.',
  'The size a write is charged on: for a Put, the larger of the item it replaces and the new item; for an Update, the larger of the item before and after; for a Delete, the deleted item.',
  'Global secondary indexes (all project ALL): each index the item is in, before or after the write, adds standard write units of the projected item (here the whole item): 1 per KB for a new entry (put) or a changed entry with the same index key, 1 per KB of the old item for an entry removed, and both (delete + put) when the index key changes. Index propagation is asynchronous and not part of the transaction, so it is not doubled (an assumption: AWS does not document a transactional rate for index writes).',
  'Failed writes: a write whose condition fails (ConditionalCheckFailed) is still charged its table write units, with no index writes (nothing changed). A cancelled TransactWriteItems is assumed charged for every item at the transactional rate, table only: AWS says cancelled transactions consume capacity but not how much, so this is an upper bound.',
  'Read request units: GetItem eventually consistent 0.5 per 4 KB of the whole item (a ProjectionExpression does not reduce it), strongly consistent 1 per 4 KB, transactional 2 per 4 KB; an item not found still costs the minimum. Query and Scan: the total size of the items read, rounded up to 4 KB once, at the same rates (at least one 4 KB unit); a GSI query reads index entries (ALL projection: the item). BatchGetItem: each key as a GetItem.',
  'DynamoDB Streams reads made by Lambda triggers (stats, notify) are free. Storage: the item size plus 100 bytes per item, and again per index entry (index entry: the projected item plus 100 bytes).',
];

/** List prices, us-east-1, written into the output next to the figures they produce. */
export const PRICES = {
  /** On demand since the November 2024 reduction. */
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  dynamodbStoragePerGbMonth: 0.25,
  lambdaPerGbSecondArm64: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsPerMillionRequests: 0.4,
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  snsPerMillionPublishes: 0.5,
};

export type Item = Record<string, AttributeValue>;

export interface TableIndex {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;
/** Per-item storage overhead, in the table and in each index. */
export const STORAGE_OVERHEAD_BYTES = 100;

export const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: significant digits (sign, leading and trailing zeros dropped) two to a byte, plus one byte. */
export function numberSize(text: string): number {
  const negative = text.trim().startsWith('-');
  const mantissa = text.trim().replace(/^[-+]/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1;
  return Math.ceil(digits.length / 2) + 1 + (negative ? 1 : 0);
}

/** The size of one value in AttributeValue form (as the raw client sends it). */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binarySize(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + attributeValueSize(v) + 1, 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + utf8Bytes(k) + attributeValueSize(v) + 1, 0);
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + binarySize(b), 0);
  return 0;
}

function binarySize(value: Uint8Array | string): number {
  return typeof value === 'string' ? Buffer.from(value, 'base64').length : value.byteLength;
}

/** The size of an item in AttributeValue form: attribute names plus values. */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const name in item) size += utf8Bytes(name) + attributeValueSize(item[name]!);
  return size;
}

/**
 * The size of a value as the document client returns it (unmarshalled): the same rules without marshalling it back.
 * Undefined is no value.
 */
export function nativeValueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + nativeValueSize(v) + 1, 0);
  if (value instanceof Set) {
    let size = 0;
    for (const v of value) size += nativeValueSize(v);
    return size;
  }
  if (typeof value === 'object' && value !== undefined) {
    // A NumberValue (wrapped number) prints as its digits.
    if ('value' in value && Object.keys(value).length === 1 && typeof (value as { value: unknown }).value === 'string')
      return numberSize((value as { value: string }).value);
    let size = 3;
    for (const [k, v] of Object.entries(value)) if (v !== undefined) size += utf8Bytes(k) + nativeValueSize(v) + 1;
    return size;
  }
  return 0;
}

export function nativeItemSize(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) if (value !== undefined) size += utf8Bytes(name) + nativeValueSize(value);
  return size;
}

export type WriteMode = 'standard' | 'transactional';
export type ReadMode = 'eventual' | 'strong' | 'transactional';

/** Write request units for one item of this size: 1 per KB rounded up (at least 1), doubled in a transaction. */
export function writeUnits(bytes: number, mode: WriteMode = 'standard'): number {
  const kb = Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
  return mode === 'transactional' ? 2 * kb : kb;
}

/** Read request units for this many bytes read at once: per 4 KB rounded up (at least one), 0.5 / 1 / 2 by consistency. */
export function readUnits(bytes: number, mode: ReadMode = 'eventual'): number {
  const blocks = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return blocks * (mode === 'eventual' ? 0.5 : mode === 'strong' ? 1 : 2);
}

/**
 * What the pricing needs to know of an item: its size and its key attributes' values (strings), from which its index
 * entries follow. `undefined` is an item that does not exist.
 */
export interface ItemFacts {
  size: number;
  /** Values of the table's and the indexes' key attributes that the item has. */
  keys: Readonly<Record<string, string>>;
}

/** The item's key in an index, or undefined when it lacks one of the index's key attributes (it is not in the index). */
export function indexEntryKey(item: ItemFacts | undefined, index: TableIndex): string | undefined {
  const pk = item?.keys[index.partitionKey];
  const sk = item?.keys[index.sortKey];
  return pk === undefined || sk === undefined ? undefined : `${pk}\u0000${sk}`;
}

/** Standard write units spent on the indexes when an item goes from `before` to `after` (either may be absent). */
export function indexWriteUnits(before: ItemFacts | undefined, after: ItemFacts | undefined, indexes: readonly TableIndex[]) {
  const byIndex: Record<string, number> = {};
  let total = 0;
  for (const index of indexes) {
    const was = indexEntryKey(before, index);
    const is = indexEntryKey(after, index);
    let units = 0;
    if (was === undefined && is !== undefined) units = writeUnits(after!.size);
    else if (was !== undefined && is === undefined) units = writeUnits(before!.size);
    else if (was !== undefined && is !== undefined)
      units = was === is ? writeUnits(Math.max(before!.size, after!.size)) : writeUnits(before!.size) + writeUnits(after!.size);
    if (units > 0) byIndex[index.indexName] = units;
    total += units;
  }
  return { total, byIndex };
}

export interface WriteCost {
  table: number;
  indexes: number;
  total: number;
}

/**
 * The write units of one Put, Update or Delete of an item from `before` to `after` (after undefined: a delete). A
 * write that did not happen (its condition failed, its transaction was cancelled) pays the table part only.
 */
export function itemWriteCost(options: {
  before: ItemFacts | undefined;
  after: ItemFacts | undefined;
  mode: WriteMode;
  applied: boolean;
  indexes: readonly TableIndex[];
}): WriteCost {
  const table = writeUnits(Math.max(options.before?.size ?? 0, options.after?.size ?? 0), options.mode);
  const indexes = options.applied ? indexWriteUnits(options.before, options.after, options.indexes).total : 0;
  return { table, indexes, total: table + indexes };
}

/** A ConditionCheck in a transaction: 2 write units per KB of the checked item (at least 2). */
export const conditionCheckUnits = (checked: ItemFacts | undefined) => writeUnits(checked?.size ?? 0, 'transactional');

/** Bytes an item occupies: in the table, and once more in each index it is in (ALL projection), 100 bytes overhead each. */
export function storageBytes(item: ItemFacts, indexes: readonly TableIndex[]): number {
  const entries = 1 + indexes.filter((index) => indexEntryKey(item, index) !== undefined).length;
  return entries * (item.size + STORAGE_OVERHEAD_BYTES);
}
