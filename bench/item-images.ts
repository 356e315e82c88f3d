import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  attributeValueSize,
  type Item,
  type ItemFacts,
  nativeValueSize,
  numberSize,
  storageBytes,
  type TableIndex,
  utf8Bytes,
} from './pricing';

/**
 * What the capacity meter remembers of an item: the size of each attribute's value, the text of its numbers (for ADD
 * and arithmetic) and its key attributes' values (for index membership). Enough to price an UpdateItem on the larger
 * of the item before and after, which the request alone does not tell, without keeping whole items in memory.
 */
export interface ItemImage extends ItemFacts {
  /** Bytes of each attribute's value (its name not included). */
  readonly values: Readonly<Record<string, number>>;
  readonly numbers: Readonly<Record<string, string>>;
}

type Native = Record<string, unknown>;

/** An item's image from its AttributeValue form (a request's item, a raw client's response). */
export function imageOfItem(item: Item, keyAttributes: ReadonlySet<string>): ItemImage {
  const values: Record<string, number> = {};
  const numbers: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let size = 0;
  for (const name in item) {
    const value = item[name]!;
    const bytes = attributeValueSize(value);
    values[name] = bytes;
    size += utf8Bytes(name) + bytes;
    if (value.N !== undefined) numbers[name] = value.N;
    if (value.S !== undefined && keyAttributes.has(name)) keys[name] = value.S;
  }
  return { size, values, numbers, keys };
}

/** An item's image from its unmarshalled form (a document client's response). */
export function imageOfNative(item: Native, keyAttributes: ReadonlySet<string>): ItemImage {
  const values: Record<string, number> = {};
  const numbers: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    const bytes = nativeValueSize(value);
    values[name] = bytes;
    size += utf8Bytes(name) + bytes;
    if (typeof value === 'number') numbers[name] = String(value);
    if (typeof value === 'string' && keyAttributes.has(name)) keys[name] = value;
  }
  return { size, values, numbers, keys };
}

const AV_TYPES = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

/**
 * Whether a response item is in AttributeValue form (the raw client) or unmarshalled (the document client): the
 * meter sits on the raw client's stack, which both share, and sees the document client's output already converted.
 * An item's key attributes are plain strings in the unmarshalled form, so a look at a few values tells.
 */
export function isAttributeValueItem(item: Native): item is Item {
  let looked = 0;
  for (const value of Object.values(item)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const types = Object.keys(value);
    if (types.length !== 1 || !AV_TYPES.has(types[0]!)) return false;
    if (++looked >= 3) break;
  }
  return true;
}

export function imageOfAny(item: Native, keyAttributes: ReadonlySet<string>): ItemImage {
  return isAttributeValueItem(item) ? imageOfItem(item, keyAttributes) : imageOfNative(item, keyAttributes);
}

export interface UpdateInput {
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

interface Value {
  bytes: number;
  number?: string;
  string?: string;
  exists: boolean;
}

const MISSING: Value = { bytes: 0, exists: false };

/**
 * The image of an item after an UpdateItem (an update of an absent item creates it with its key). SET, REMOVE, ADD and
 * DELETE of top-level attributes are followed exactly (if_not_exists, list_append, + and - included); a nested path
 * (`a.b`, `a[0]`) is approximated: setting it grows the top attribute by the value, removing it changes nothing.
 */
export function applyUpdate(before: ItemImage | undefined, key: Item, input: UpdateInput, keyAttributes: ReadonlySet<string>): ItemImage {
  const values: Record<string, number> = { ...(before?.values ?? {}) };
  const numbers: Record<string, string> = { ...(before?.numbers ?? {}) };
  const keys: Record<string, string> = { ...(before?.keys ?? {}) };
  if (!before) {
    const keyImage = imageOfItem(key, keyAttributes);
    Object.assign(values, keyImage.values);
    Object.assign(keys, keyImage.keys);
  }
  const names = input.ExpressionAttributeNames ?? {};
  const placeholders = input.ExpressionAttributeValues ?? {};
  const nameOf = (token: string) => (token.startsWith('#') ? (names[token] ?? token) : token);
  const parsePath = (path: string) => {
    const trimmed = path.trim();
    const top = trimmed.split(/[.[]/)[0]!;
    return {
      name: nameOf(top),
      nested: trimmed.length > top.length,
      last: nameOf(
        trimmed
          .split('.')
          .pop()!
          .replace(/\[\d+\]$/, ''),
      ),
    };
  };
  const read = (path: string): Value => {
    const { name, nested } = parsePath(path);
    if (nested || values[name] === undefined) return MISSING;
    return { bytes: values[name]!, number: numbers[name], exists: true };
  };
  const evaluate = (expression: string): Value => {
    const text = expression.trim();
    const sum = splitTopLevel(text, ['+', '-']);
    if (sum.parts.length === 2) {
      const [a, b] = sum.parts.map(evaluate) as [Value, Value];
      if (a.number === undefined || b.number === undefined) return { bytes: Math.max(a.bytes, b.bytes), exists: true };
      const result = String(sum.operators[0] === '+' ? Number(a.number) + Number(b.number) : Number(a.number) - Number(b.number));
      return { bytes: numberSize(result), number: result, exists: true };
    }
    const call = /^(\w+)\s*\((.*)\)$/s.exec(text);
    if (call) {
      const args = splitTopLevel(call[2]!, [',']).parts;
      if (call[1]!.toLowerCase() === 'if_not_exists') {
        const existing = read(args[0] ?? '');
        return existing.exists ? existing : evaluate(args[1] ?? '');
      }
      if (call[1]!.toLowerCase() === 'list_append') {
        const [a, b] = args.map(evaluate) as [Value, Value];
        // Two lists' elements under one list's 3-byte overhead.
        return { bytes: Math.max(3, (a?.exists ? a.bytes : 3) + (b?.exists ? b.bytes : 3) - 3), exists: true };
      }
      return MISSING;
    }
    if (text.startsWith(':')) {
      const value = placeholders[text];
      if (!value) return MISSING;
      return { bytes: attributeValueSize(value), number: value.N, string: value.S, exists: true };
    }
    return read(text);
  };
  const assign = (path: string, value: Value) => {
    const { name, nested, last } = parsePath(path);
    if (nested) {
      values[name] = (values[name] ?? 3) + utf8Bytes(last) + value.bytes + 1;
      delete numbers[name];
      return;
    }
    values[name] = value.bytes;
    if (value.number !== undefined) numbers[name] = value.number;
    else delete numbers[name];
    if (keyAttributes.has(name)) {
      if (value.string !== undefined) keys[name] = value.string;
      else delete keys[name];
    }
  };
  const remove = (path: string) => {
    const { name, nested } = parsePath(path);
    if (nested) return;
    delete values[name];
    delete numbers[name];
    delete keys[name];
  };

  for (const { keyword, body } of clauses(input.UpdateExpression ?? '')) {
    for (const action of splitTopLevel(body, [',']).parts) {
      if (keyword === 'SET') {
        const equals = action.indexOf('=');
        if (equals > 0) assign(action.slice(0, equals), evaluate(action.slice(equals + 1)));
      } else if (keyword === 'REMOVE') remove(action);
      else {
        const [path, operand] = action.trim().split(/\s+/, 2) as [string, string];
        const current = read(path);
        const value = evaluate(operand ?? '');
        if (keyword === 'ADD' && value.number !== undefined) {
          const result = String(Number(current.number ?? '0') + Number(value.number));
          assign(path, { bytes: numberSize(result), number: result, exists: true });
        } else if (keyword === 'ADD') assign(path, { bytes: current.bytes + value.bytes, exists: true });
        else if (current.exists) assign(path, { bytes: Math.max(0, current.bytes - value.bytes), exists: true });
      }
    }
  }
  let size = 0;
  for (const name in values) size += utf8Bytes(name) + values[name]!;
  return { size, values, numbers, keys };
}

/** The clauses of an update expression (SET, REMOVE, ADD, DELETE, in any order), keyword upper-cased. */
function clauses(expression: string): { keyword: string; body: string }[] {
  const found: { keyword: string; start: number; bodyStart: number }[] = [];
  const pattern = /\b(SET|REMOVE|ADD|DELETE)\b/gi;
  for (let match = pattern.exec(expression); match; match = pattern.exec(expression)) {
    if (depthAt(expression, match.index) === 0)
      found.push({ keyword: match[1]!.toUpperCase(), start: match.index, bodyStart: match.index + match[0].length });
  }
  return found.map((c, i) => ({ keyword: c.keyword, body: expression.slice(c.bodyStart, found[i + 1]?.start ?? expression.length) }));
}

function depthAt(text: string, end: number): number {
  let depth = 0;
  for (let i = 0; i < end; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
  }
  return depth;
}

/** Splits at the separators found outside parentheses; `operators` lists which separator stood between parts. */
function splitTopLevel(text: string, separators: string[]): { parts: string[]; operators: string[] } {
  const parts: string[] = [];
  const operators: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && separators.includes(c)) {
      parts.push(text.slice(start, i).trim());
      operators.push(c);
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return { parts: parts.filter((p) => p.length > 0), operators };
}

/**
 * The items of a run as the meter knows them, by table and primary key: what Puts wrote, Updates made and full reads
 * returned. Items written by clients the meter is not on are unknown (they count as absent).
 */
export class ItemImages {
  private readonly items = new Map<string, ItemImage>();
  readonly keyAttributes: ReadonlySet<string>;

  constructor(
    indexes: readonly TableIndex[],
    private readonly tableKey: readonly string[] = ['PK', 'SK'],
  ) {
    this.keyAttributes = new Set([...tableKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  }

  private id(table: string, key: Readonly<Record<string, string | undefined>>): string | undefined {
    const parts = this.tableKey.map((name) => key[name]);
    return parts.some((p) => p === undefined) ? undefined : `${table}\u0000${parts.join('\u0000')}`;
  }

  private idOfKey(table: string, key: Item): string | undefined {
    return this.id(table, Object.fromEntries(this.tableKey.map((name) => [name, key[name]?.S ?? key[name]?.N])));
  }

  get(table: string, key: Item): ItemImage | undefined {
    const id = this.idOfKey(table, key);
    return id === undefined ? undefined : this.items.get(id);
  }

  /** The image of an item given in any form, by its own key attributes. */
  getByItem(table: string, image: ItemImage): ItemImage | undefined {
    const id = this.id(table, image.keys);
    return id === undefined ? undefined : this.items.get(id);
  }

  set(table: string, image: ItemImage) {
    const id = this.id(table, image.keys);
    if (id !== undefined) this.items.set(id, image);
  }

  delete(table: string, key: Item) {
    const id = this.idOfKey(table, key);
    if (id !== undefined) this.items.delete(id);
  }

  get count() {
    return this.items.size;
  }

  /** Every known item of a table. */
  *of(table: string): Generator<ItemImage> {
    const prefix = `${table}\u0000`;
    for (const [id, image] of this.items) if (id.startsWith(prefix)) yield image;
  }

  /**
   * Items and the bytes they occupy (with their index entries and per-item overhead), grouped by the prefix of their
   * partition key (`SALE`, `NOTIFICATION`, ...): what the table stores.
   */
  storageByKind(table: string, indexes: readonly TableIndex[], partitionKey = this.tableKey[0]!) {
    const kinds: Record<string, { items: number; bytes: number; storageBytes: number }> = {};
    for (const image of this.of(table)) {
      const kind = (image.keys[partitionKey] ?? '').split('#')[0] || 'other';
      kinds[kind] ??= { items: 0, bytes: 0, storageBytes: 0 };
      const entry = kinds[kind];
      entry.items += 1;
      entry.bytes += image.size;
      entry.storageBytes += storageBytes(image, indexes);
    }
    return kinds;
  }
}
