import { createHash } from 'node:crypto';
import { maskCardNumbersInText } from './card-number';
import type { MomaSale } from './moma-record';

/** Where a record came from, precise enough to find it again. */
export type SaleSource =
  /** A record of a file: its line and, where one line may hold many records (JSON), its byte offset; else its index. */
  | { kind: 's3'; bucket: string; key: string; eTag?: string; versionId?: string; index: number; line?: number; offset?: number }
  | { kind: 'sqs'; queue: string; messageId: string; index: number }
  | { kind: 'csv'; origin: string; line: number }
  | { kind: 'admin'; action: string };

/** Where a whole input came from, when it fails before (or instead of) yielding records. */
export type InputSource =
  | SaleSource
  | { kind: 's3-file'; bucket: string; key: string }
  | { kind: 'sqs-message'; queue: string; messageId: string }
  | { kind: 'file-event'; messageId: string }
  | { kind: 'csv-upload'; origin: string };

/** The one way a source is written down, for sales and failures alike (card numbers in keys or ids masked). */
export function describeSource(source: InputSource): string {
  return maskCardNumbersInText(sourceText(source));
}

function sourceText(source: InputSource): string {
  switch (source.kind) {
    case 's3':
      return `s3://${source.bucket}/${source.key} ${filePosition(source)}`;
    case 's3-file':
      return `s3://${source.bucket}/${source.key}`;
    case 'sqs':
      return `sqs ${source.queue} message ${source.messageId} record ${source.index}`;
    case 'sqs-message':
      return `sqs ${source.queue} message ${source.messageId}`;
    case 'file-event':
      return `file-events message ${source.messageId}`;
    case 'csv':
      return `csv ${source.origin} line ${source.line}`;
    case 'csv-upload':
      return `csv ${source.origin}`;
    case 'admin':
      return `admin ${source.action}`;
  }
}

function filePosition({ line, offset, index }: { line?: number; offset?: number; index: number }): string {
  if (line !== undefined && offset !== undefined) return `line ${line}, byte ${offset}`;
  if (line !== undefined) return `line ${line}`;
  return offset !== undefined ? `byte ${offset}` : `record ${index}`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces each lone surrogate (from a hostile input, or a cut through a pair) with U+FFFD, as DynamoDB refuses them. */
export const toWellFormed = (text: string) => text.replace(LONE_SURROGATE, '\ufffd');

/** Free text of a sale as it is stored: card numbers masked, well-formed. */
export const storableText = (text: string) => toWellFormed(maskCardNumbersInText(text));

/**
 * The sale as it is stored and hashed: a card number hidden in `product` or `machineId` is masked here, once, so it
 * never reaches the sale item, the stats keys or notifications derived from it, and both paths hash the same text.
 */
export function storableSale(sale: MomaSale): MomaSale {
  return { ...sale, product: storableText(sale.product), machineId: storableText(sale.machineId) };
}

/**
 * Identity of a sale's content, used to tell a harmless redelivery from a conflicting one.
 * Built from the last four digits only, so a sale reported with the full number on one path and the
 * last four on the other is still the same sale; the date is compared as an instant, not as text.
 */
export function saleContentHash(sale: MomaSale): string {
  const canonical = JSON.stringify([
    sale.transactionId,
    new Date(sale.date).toISOString(),
    sale.amount,
    sale.cardNumber.lastFour,
    sale.product,
    sale.machineId,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
