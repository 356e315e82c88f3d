import { importCsv } from '../../shared/admin/csv-import';
import { AdminError } from '../../shared/admin/errors';
import { awsError, memoryIngest } from '../support/fakes';

const HEADER = 'transactionId,date,amount,cardNumber,product,machineId';
const row = (id: string, amount: number | string = 100) => `${id},2025-01-01T09:00:00Z,${amount},4111111111111111,Coffee,VEND-9`;

describe('POST /admin/import (the CSV use case), against in-memory ports', () => {
  test('a bad row or a row DynamoDB refuses costs that row only', async () => {
    const { deps, ledger, failures } = memoryIngest();
    ledger.commitFault = (sale) =>
      sale.transactionId === 'C-refused' ? awsError('ValidationException', 'Item size has exceeded the maximum allowed size') : undefined;
    const csv = [HEADER, row('C-1'), row('C-2', 'abc'), row('C-refused'), row('C-4')].join('\n');

    expect(await importCsv(csv, deps)).toMatchObject({ rows: 4, awarded: 2, failed: 2 });

    expect(ledger.accounts.get('pat')).toMatchObject({ purchaseCount: 2 });
    expect(failures.all.map((f) => [f.source.replace(/upload-\w+/, 'upload'), f.reason])).toEqual([
      ['csv upload line 3', 'invalid record: amount is required and must be a number of cents'],
      ['csv upload line 4', 'sale could not be stored: ValidationException: Item size has exceeded the maximum allowed size'],
    ]);
  });

  test("each row's outcome is listed by line, with the reason of a failed one", async () => {
    const { deps } = memoryIngest();
    const csv = [HEADER, row('C-1'), row('C-1'), row('C-2', 'abc'), 'C-3,"unclosed'].join('\n');

    const result = await importCsv(csv, deps);

    expect(result.outcomes).toEqual([
      { line: 2, outcome: 'awarded', transactionId: 'C-1' },
      { line: 3, outcome: 'duplicate', transactionId: 'C-1' },
      { line: 4, outcome: 'failed', transactionId: 'C-2', reason: 'invalid record: amount is required and must be a number of cents' },
      { line: 5, outcome: 'failed', transactionId: undefined, reason: expect.stringMatching(/quote|column|field/i) },
    ]);
    expect(result.outcomesTruncated).toBe(false);
  });

  test('a wrong header is a 400 naming the expected and the found columns', async () => {
    const { deps, failures } = memoryIngest();
    const refusal = await importCsv('a,b\n1,2', deps).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(AdminError);
    expect(refusal).toMatchObject({
      status: 400,
      details: [
        {
          field: 'body',
          rule: expect.stringMatching(
            /^invalid CSV header: expected the columns transactionId,date,amount,cardNumber,product,machineId; found a,b/,
          ),
        },
      ],
    });
    expect(failures.all).toEqual([]);
  });

  test('a transient error fails the request (it is retried by the caller), not the rows', async () => {
    const { deps, ledger } = memoryIngest();
    ledger.commitFault = () => awsError('ThrottlingException', 'Rate exceeded');
    await expect(importCsv([HEADER, row('C-t')].join('\n'), deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
