import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { applyUpdate, type ItemImage, type ItemImages, imageOfAny, imageOfItem } from './item-images';
import { conditionCheckUnits, type Item, itemWriteCost, type ReadMode, readUnits, type TableIndex, type WriteMode } from './pricing';

/** How a request ended, as the meter saw it: its output (in either form), or the error it threw. */
export type Outcome = { ok: true; output: Record<string, any> } | { ok: false; error: any };

export interface RequestCost {
  readUnits: number;
  /** Every write unit charged, index writes and failed writes included. */
  writeUnits: number;
  indexWriteUnits: number;
  /** Charged for writes that did not happen: failed conditions, cancelled transactions. */
  failedWriteUnits: number;
  /** Sales written as awarded by this request (Put items that are awarded sales). */
  awardedSales: number;
}

const none = (): RequestCost => ({ readUnits: 0, writeUnits: 0, indexWriteUnits: 0, failedWriteUnits: 0, awardedSales: 0 });

type AnyInput = Record<string, any>;

/**
 * Prices one DynamoDB request by the documented rules (bench/pricing.ts), from the request (in AttributeValue form),
 * its outcome, and what the meter knows of the items it touches; and keeps that knowledge current.
 */
export class RequestPricer {
  constructor(
    private readonly images: ItemImages,
    private readonly indexesOf: (table: string) => readonly TableIndex[],
    private readonly isAwardedSale: (item: Item) => boolean,
  ) {}

  price(command: string, input: AnyInput, outcome: Outcome): RequestCost {
    switch (command) {
      case 'GetItem':
        return this.getItem(input, outcome);
      case 'BatchGetItem':
        return this.batchGet(input, outcome);
      case 'TransactGetItems':
        return this.transactGet(input, outcome);
      case 'Query':
      case 'Scan':
        return this.query(input, outcome);
      case 'PutItem':
        return this.single(input, outcome, 'put');
      case 'UpdateItem':
        return this.single(input, outcome, 'update');
      case 'DeleteItem':
        return this.single(input, outcome, 'delete');
      case 'BatchWriteItem':
        return this.batchWrite(input, outcome);
      case 'TransactWriteItems':
        return this.transactWrite(input, outcome);
      default:
        return none();
    }
  }

  private image(item: Record<string, unknown>): ItemImage {
    return imageOfAny(item, this.images.keyAttributes);
  }

  /** The bytes a read of this returned item is charged on: the whole item, known from earlier writes when projected. */
  private readBytes(table: string, returned: Record<string, unknown>, projected: boolean, learn: boolean): number {
    const image = this.image(returned);
    if (!projected) {
      if (learn) this.images.set(table, image);
      return image.size;
    }
    return Math.max(image.size, this.images.getByItem(table, image)?.size ?? 0);
  }

  private getItem(input: AnyInput, outcome: Outcome): RequestCost {
    if (!outcome.ok) return none();
    const table: string = input.TableName;
    const mode: ReadMode = input.ConsistentRead ? 'strong' : 'eventual';
    const item = outcome.output.Item as Record<string, unknown> | undefined;
    const projected = Boolean(input.ProjectionExpression || input.AttributesToGet);
    let bytes = 0;
    if (item)
      bytes = projected
        ? Math.max(this.image(item).size, this.images.get(table, input.Key)?.size ?? 0)
        : this.readBytes(table, item, false, true);
    else this.images.delete(table, input.Key);
    return { ...none(), readUnits: readUnits(bytes, mode) };
  }

  private batchGet(input: AnyInput, outcome: Outcome): RequestCost {
    if (!outcome.ok) return none();
    let units = 0;
    for (const [table, request] of Object.entries(input.RequestItems ?? {}) as [string, AnyInput][]) {
      const mode: ReadMode = request.ConsistentRead ? 'strong' : 'eventual';
      const projected = Boolean(request.ProjectionExpression || request.AttributesToGet);
      const returned: Record<string, unknown>[] = outcome.output.Responses?.[table] ?? [];
      const unprocessed: number = outcome.output.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
      for (const item of returned) units += readUnits(this.readBytes(table, item, projected, true), mode);
      const missing = (request.Keys?.length ?? 0) - returned.length - unprocessed;
      units += Math.max(0, missing) * readUnits(0, mode);
    }
    return { ...none(), readUnits: units };
  }

  private transactGet(input: AnyInput, outcome: Outcome): RequestCost {
    if (!outcome.ok) return none();
    let units = 0;
    (input.TransactItems ?? []).forEach((action: AnyInput, i: number) => {
      const item = outcome.output.Responses?.[i]?.Item as Record<string, unknown> | undefined;
      const projected = Boolean(action.Get?.ProjectionExpression);
      units += readUnits(item ? this.readBytes(action.Get.TableName, item, projected, true) : 0, 'transactional');
    });
    return { ...none(), readUnits: units };
  }

  /** Query and Scan: the items read, rounded up to 4 KB once; items a filter dropped were read too (estimated). */
  private query(input: AnyInput, outcome: Outcome): RequestCost {
    if (!outcome.ok) return none();
    const table: string = input.TableName;
    const projected = Boolean(input.ProjectionExpression || input.AttributesToGet);
    const items: Record<string, unknown>[] = outcome.output.Items ?? [];
    let bytes = 0;
    for (const item of items) bytes += this.readBytes(table, item, projected, !input.IndexName);
    const count: number = outcome.output.Count ?? items.length;
    const scanned: number = outcome.output.ScannedCount ?? count;
    if (scanned > count && count > 0) bytes += ((scanned - count) * bytes) / count;
    const mode: ReadMode = input.ConsistentRead ? 'strong' : 'eventual';
    return { ...none(), readUnits: readUnits(bytes, mode) };
  }

  private single(input: AnyInput, outcome: Outcome, kind: 'put' | 'update' | 'delete'): RequestCost {
    const failedCondition = !outcome.ok && outcome.error?.name === 'ConditionalCheckFailedException';
    if (!outcome.ok && !failedCondition) return none();
    const old = failedCondition ? (outcome as { error: { Item?: Item } }).error.Item : undefined;
    const returned = outcome.ok && input.ReturnValues === 'ALL_NEW' ? outcome.output.Attributes : undefined;
    const cost = this.write(input.TableName, { kind, input, old, returnedNew: returned }, 'standard', outcome.ok);
    return cost;
  }

  private batchWrite(input: AnyInput, outcome: Outcome): RequestCost {
    if (!outcome.ok) return none();
    const total = none();
    for (const [table, requests] of Object.entries(input.RequestItems ?? {}) as [string, AnyInput[]][]) {
      const unprocessed = new Set(
        ((outcome.output.UnprocessedItems?.[table] ?? []) as AnyInput[]).map((r) =>
          JSON.stringify(r.PutRequest?.Item ?? r.DeleteRequest?.Key),
        ),
      );
      for (const request of requests) {
        if (unprocessed.has(JSON.stringify(request.PutRequest?.Item ?? request.DeleteRequest?.Key))) continue;
        const cost = request.PutRequest
          ? this.write(table, { kind: 'put', input: request.PutRequest }, 'standard', true)
          : this.write(table, { kind: 'delete', input: request.DeleteRequest }, 'standard', true);
        add(total, cost);
      }
    }
    return total;
  }

  private transactWrite(input: AnyInput, outcome: Outcome): RequestCost {
    const cancelled = !outcome.ok && outcome.error?.name === 'TransactionCanceledException';
    if (!outcome.ok && !cancelled) return none();
    const reasons: { Code?: string; Item?: Item }[] = cancelled ? ((outcome as { error: any }).error.CancellationReasons ?? []) : [];
    const total = none();
    (input.TransactItems ?? []).forEach((action: AnyInput, i: number) => {
      const old = reasons[i]?.Item;
      if (action.ConditionCheck) {
        const checked = old
          ? imageOfItem(old, this.images.keyAttributes)
          : this.images.get(action.ConditionCheck.TableName, action.ConditionCheck.Key);
        const units = conditionCheckUnits(checked);
        total.writeUnits += units;
        if (!outcome.ok) total.failedWriteUnits += units;
        return;
      }
      const [kind, body]: ['put' | 'update' | 'delete', AnyInput] = action.Put
        ? ['put', action.Put]
        : action.Update
          ? ['update', action.Update]
          : ['delete', action.Delete];
      add(total, this.write(body.TableName, { kind, input: body, old }, 'transactional', outcome.ok));
    });
    return total;
  }

  /**
   * One item's write: its before (what a failed condition returned, else what the meter knows), its after, the units;
   * an applied write updates the meter's knowledge.
   */
  private write(
    table: string,
    write: { kind: 'put' | 'update' | 'delete'; input: AnyInput; old?: Item; returnedNew?: Record<string, unknown> },
    mode: WriteMode,
    applied: boolean,
  ): RequestCost {
    const keyAttributes = this.images.keyAttributes;
    const put = write.kind === 'put' ? imageOfItem(write.input.Item as Item, keyAttributes) : undefined;
    let before: ItemImage | undefined;
    if (write.old) {
      before = imageOfItem(write.old, keyAttributes);
      this.images.set(table, before);
    } else before = put ? this.images.getByItem(table, put) : this.images.get(table, write.input.Key as Item);
    let after: ItemImage | undefined = put;
    if (write.kind === 'update') {
      after = write.returnedNew
        ? this.image(write.returnedNew)
        : applyUpdate(before, write.input.Key as Record<string, AttributeValue>, write.input, keyAttributes);
    }
    const cost = itemWriteCost({ before, after, mode, applied, indexes: this.indexesOf(table) });
    const result = { ...none(), writeUnits: cost.total, indexWriteUnits: cost.indexes, failedWriteUnits: applied ? 0 : cost.total };
    if (applied) {
      if (after) this.images.set(table, after);
      else this.images.delete(table, write.input.Key as Item);
      if (put && this.isAwardedSale(write.input.Item as Item)) result.awardedSales = 1;
    }
    return result;
  }
}

function add(total: RequestCost, cost: RequestCost) {
  total.readUnits += cost.readUnits;
  total.writeUnits += cost.writeUnits;
  total.indexWriteUnits += cost.indexWriteUnits;
  total.failedWriteUnits += cost.failedWriteUnits;
  total.awardedSales += cost.awardedSales;
}
