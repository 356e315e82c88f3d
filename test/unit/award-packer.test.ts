import * as fc from 'fast-check';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { AwardPacker } from '../../shared/ingest/award-packer';
import { CachingCustomerDirectory } from '../../shared/ingest/card-cache';
import { ingestSale, type SaleOutcome } from '../../shared/ingest/ingest-sale';
import { awsError, memoryIngest } from '../support/fakes';
import { momaSale } from '../support/moma';
import { cardNumberFor } from '../support/workload';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;
const valid = (raw: Record<string, unknown>) => {
  const result = validateMomaRecord(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};

/** `customers` customers c0.., each on its own card, behind a packer (and a card cache, as the composition root wires them). */
function packed(customers: number, options: ConstructorParameters<typeof AwardPacker>[1] = {}) {
  const memory = memoryIngest();
  for (let c = 0; c < customers; c++) {
    memory.ledger.addAccount(`c${c}`);
    memory.directory.link(`c${c}`, cardNumberFor(c));
  }
  const packer = new AwardPacker(memory.ledger, options);
  const deps = { ...memory.deps, ledger: packer, directory: new CachingCustomerDirectory(memory.directory) };
  return { ...memory, packer, deps };
}

const sale = (transactionId: string, customer: number, amount = 100) =>
  valid(momaSale({ transactionId, cardNumber: cardNumberFor(customer), amount }));

describe('packing awards into shared transactions', () => {
  test('awards arriving together share packs of at most the pack size; each is awarded once', async () => {
    const { deps, ledger } = packed(30, { maxAwardsPerPack: 25 });
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, c) => ingestSale(sale(`P-${c}`, c), SQS, deps)));
    expect(outcomes).toEqual(Array(30).fill('awarded'));
    expect(ledger.packs).toEqual([25, 5]);
    for (let c = 0; c < 30; c++) expect(ledger.accounts.get(`c${c}`)).toMatchObject({ points: 10, purchaseCount: 1, version: 1 });
  });

  test('a pack with a duplicate, a conflict and a stale account: each settles as alone, the rest commit on the second try', async () => {
    const { deps, ledger } = packed(6);
    await ingestSale(sale('DUP', 0), SQS, deps);
    await ingestSale(sale('CONFLICT', 1, 100), SQS, deps);
    ledger.contendOn('c2');
    ledger.packs.length = 0;
    const outcomes = await Promise.all([
      ingestSale(sale('DUP', 0), SQS, deps),
      ingestSale(sale('CONFLICT', 1, 900), SQS, deps),
      ingestSale(sale('STALE', 2), SQS, deps),
      ingestSale(sale('OK-3', 3), SQS, deps),
      ingestSale(sale('OK-4', 4), SQS, deps),
    ]);
    expect(outcomes).toEqual(['duplicate', 'conflict', 'awarded', 'awarded', 'awarded']);
    expect(ledger.conflicts.map((c) => c.sale.transactionId)).toEqual(['CONFLICT']);
    expect(ledger.accounts.get('c0')).toMatchObject({ points: 10, purchaseCount: 1 });
    expect(ledger.accounts.get('c1')).toMatchObject({ points: 10, purchaseCount: 1 });
    expect(ledger.accounts.get('c2')).toMatchObject({ points: 10, purchaseCount: 1 });
    // All five went in one pack first; the two the others cancelled went again.
    expect(ledger.packs[0]).toBe(5);
    expect(ledger.packs).toContain(2);
  });

  test('a pack refused whole for its content is split: only the bad award fails, its neighbours commit', async () => {
    const { deps, ledger } = packed(4);
    ledger.packFault = (awards) =>
      awards.some((a) => a.sale.transactionId === 'BAD')
        ? awsError('ValidationException', 'Item size has exceeded the maximum')
        : undefined;
    const results = await Promise.allSettled([0, 1, 2, 3].map((c) => ingestSale(sale(c === 2 ? 'BAD' : `GOOD-${c}`, c), SQS, deps)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'ValidationException' });
    expect(ledger.sales.has('BAD')).toBe(false);
    expect([...ledger.sales.keys()].sort()).toEqual(['GOOD-0', 'GOOD-1', 'GOOD-3']);
  });

  test('a transient refusal of the whole pack fails its awards transiently, to be retried by their source', async () => {
    const { deps, ledger } = packed(3);
    ledger.packFault = () => awsError('ProvisionedThroughputExceededException', 'slow down', { status: 400 });
    const results = await Promise.allSettled([0, 1, 2].map((c) => ingestSale(sale(`T-${c}`, c), SQS, deps)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(ledger.packs).toEqual([3]);
  });

  test("a customer's next sale plans from the standing this process committed: no read, one pack per sale", async () => {
    const { deps, ledger } = packed(1);
    for (let i = 0; i < 5; i++) expect(await ingestSale(sale(`SEQ-${i}`, 0), SQS, deps)).toBe('awarded');
    expect(ledger.reads.filter((r) => r.userId === 'c0')).toHaveLength(1);
    expect(ledger.accounts.get('c0')).toMatchObject({ points: 50, purchaseCount: 5, version: 5 });
  });

  test('two sales of one customer planned from the same version: the second is known stale without a request, and retried', async () => {
    const { deps, ledger } = packed(1);
    await ingestSale(sale('WARM', 0), SQS, deps);
    ledger.packs.length = 0;
    const outcomes = await Promise.all([ingestSale(sale('A', 0), SQS, deps), ingestSale(sale('B', 0), SQS, deps)]);
    expect(outcomes).toEqual(['awarded', 'awarded']);
    expect(ledger.accounts.get('c0')).toMatchObject({ points: 30, purchaseCount: 3 });
    // A committed first; B never went in a pack planned from the old version.
    expect(ledger.packs).toEqual([1, 1]);
  });

  test('a changed account (another process wrote it) is found stale, read again and awarded', async () => {
    const { deps, ledger } = packed(1);
    await ingestSale(sale('FIRST', 0), SQS, deps);
    const account = ledger.accounts.get('c0')!;
    ledger.accounts.set('c0', { ...account, points: account.points + 100, version: account.version + 1 });
    expect(await ingestSale(sale('SECOND', 0), SQS, deps)).toBe('awarded');
    expect(ledger.accounts.get('c0')).toMatchObject({ points: 120, purchaseCount: 2 });
    expect(ledger.reads.filter((r) => r.consistent)).toHaveLength(1);
  });

  test('property: packed or one transaction each, concurrent sales with repeats and changed content end the same', async () => {
    const saleArb = fc.record({ customer: fc.nat(7), id: fc.nat(40), amount: fc.constantFrom(100, 250, 900) });
    await fc.assert(
      fc.asyncProperty(fc.array(saleArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 12 }), async (sales, packSize) => {
        const run = async (packing: boolean) => {
          const memory = packed(8, { maxAwardsPerPack: packSize });
          const deps = packing ? memory.deps : { ...memory.deps, ledger: memory.ledger };
          const outcomes = await Promise.all(
            // The id decides the customer, as a sale belongs to one card; the amount may differ (a conflict).
            sales.map((s) => ingestSale(sale(`X-${s.id}`, s.id % 8, s.amount), SQS, deps)),
          );
          const tally = (kind: SaleOutcome) => outcomes.filter((o) => o === kind).length;
          const awardedIds = [...memory.ledger.sales.keys()].sort();
          const purchases = Array.from({ length: 8 }, (_, c) => memory.ledger.accounts.get(`c${c}`)!.purchaseCount);
          return { awarded: tally('awarded'), duplicate: tally('duplicate') + tally('conflict'), awardedIds, purchases };
        };
        const [plain, withPacks] = [await run(false), await run(true)];
        expect(withPacks.awarded).toBe(plain.awarded);
        expect(withPacks.duplicate).toBe(plain.duplicate);
        expect(withPacks.awardedIds).toEqual(plain.awardedIds);
        expect(withPacks.purchases).toEqual(plain.purchases);
        expect(withPacks.awarded).toBe(new Set(sales.map((s) => s.id)).size);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the card cache', () => {
  test('remembers a card of one customer for its time to live, never an unknown or ambiguous card', async () => {
    let now = 0;
    const memory = memoryIngest();
    memory.directory.link('amb-1', '4000 0000 0000 9999');
    memory.directory.link('amb-2', '4000 1111 1111 9999');
    const lookups: string[] = [];
    const counting = {
      findCustomersByCard: async (...args: Parameters<typeof memory.directory.findCustomersByCard>) => {
        lookups.push(args[0].lastFour);
        return memory.directory.findCustomersByCard(...args);
      },
    };
    const cache = new CachingCustomerDirectory(counting, { ttlMs: 1_000, now: () => now });
    const pat = memory.deps.hasher.hash(valid(momaSale()).cardNumber);
    const unknown = memory.deps.hasher.hash(valid(momaSale({ cardNumber: '5500 0000 0000 0004' })).cardNumber);
    const lastFourOnly = memory.deps.hasher.hash(valid(momaSale({ cardNumber: '9999' })).cardNumber);
    expect(await cache.findCustomersByCard(pat)).toEqual(['pat']);
    expect(await cache.findCustomersByCard(pat)).toEqual(['pat']);
    expect(await cache.findCustomersByCard(unknown)).toEqual([]);
    expect(await cache.findCustomersByCard(unknown)).toEqual([]);
    expect((await cache.findCustomersByCard(lastFourOnly)).sort()).toEqual(['amb-1', 'amb-2']);
    expect((await cache.findCustomersByCard(lastFourOnly)).sort()).toEqual(['amb-1', 'amb-2']);
    expect(lookups).toEqual(['1111', '0004', '0004', '9999', '9999']);
    now += 1_000;
    await cache.findCustomersByCard(pat);
    cache.forgetCard(pat);
    await cache.findCustomersByCard(pat);
    expect(lookups.filter((l) => l === '1111')).toHaveLength(3);
  });

  test('a stale account forgets the card: the next sale looks its customer up again', async () => {
    const { deps, ledger, directory } = packed(1);
    const lookups = jest.spyOn(directory, 'findCustomersByCard');
    await ingestSale(sale('C-1', 0), SQS, deps);
    await ingestSale(sale('C-2', 0), SQS, deps);
    expect(lookups).toHaveBeenCalledTimes(1);
    const account = ledger.accounts.get('c0')!;
    ledger.accounts.set('c0', { ...account, version: account.version + 1 });
    await ingestSale(sale('C-3', 0), SQS, deps);
    await ingestSale(sale('C-4', 0), SQS, deps);
    expect(lookups).toHaveBeenCalledTimes(2);
  });
});
