import { createHash } from 'node:crypto';
import { maskCardNumbersInText } from './card-number';
import type { MomaSale } from './moma-record';

/** Where a sale record came from, precise enough to find it again. */
export type SaleOrigin =
  /** A record of a file: its line and, where one line may hold many records (JSON), its byte offset; else its index. */
  | { kind: 's3'; bucket: string; key: string; eTag?: string; versionId?: string; index: number; line?: number; offset?: number }
  | { kind: 'sqs'; queue: string; messageId: string; index: number }
  /** A row of a CSV upload; `origin` names the upload. */
  | { kind: 'csv'; origin: string; line: number }
  | { kind: 'admin'; action: string };

/** Where a whole input came from, when it fails before (or instead of) yielding records. */
export type InputOrigin =
  | SaleOrigin
  | { kind: 's3-file'; bucket: string; key: string }
  | { kind: 'sqs-message'; queue: string; messageId: string }
  | { kind: 'file-event'; messageId: string }
  | { kind: 'csv-upload'; origin: string };

/**
 * The one way an origin is written down for people (the `source` of sales and failures): card numbers hidden in an
 * object key, a message id or an upload name are masked.
 */
export function describeOrigin(origin: InputOrigin): string {
  return maskCardNumbersInText(originText(origin));
}

/** A whole S3 object, as `describeOrigin` writes it. */
export const describeFile = (file: { bucket: string; key: string }) =>
  describeOrigin({ kind: 's3-file', bucket: file.bucket, key: file.key });

function originText(origin: InputOrigin): string {
  switch (origin.kind) {
    case 's3':
      return `s3://${origin.bucket}/${origin.key} ${filePosition(origin)}`;
    case 's3-file':
      return `s3://${origin.bucket}/${origin.key}`;
    case 'sqs':
      return `sqs ${origin.queue} message ${origin.messageId} record ${origin.index}`;
    case 'sqs-message':
      return `sqs ${origin.queue} message ${origin.messageId}`;
    case 'file-event':
      return `file-events message ${origin.messageId}`;
    case 'csv':
      return `csv ${origin.origin} line ${origin.line}`;
    case 'csv-upload':
      return `csv ${origin.origin}`;
    case 'admin':
      return `admin ${origin.action}`;
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
