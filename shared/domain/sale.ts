import { createHash } from 'node:crypto';
import type { MomaSale } from './moma-record';

/** Where a record came from, precise enough to find it again. */
export type SaleSource =
  | { kind: 's3'; bucket: string; key: string; eTag?: string; versionId?: string; index: number; line?: number }
  | { kind: 'sqs'; queue: string; messageId: string; index: number }
  | { kind: 'csv'; origin: string; line: number }
  | { kind: 'admin'; action: string };

export function describeSource(source: SaleSource): string {
  switch (source.kind) {
    case 's3':
      return `s3://${source.bucket}/${source.key}${source.line !== undefined ? ` line ${source.line}` : ` record ${source.index}`}`;
    case 'sqs':
      return `sqs ${source.queue} message ${source.messageId} record ${source.index}`;
    case 'csv':
      return `csv ${source.origin} line ${source.line}`;
    case 'admin':
      return `admin ${source.action}`;
  }
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
