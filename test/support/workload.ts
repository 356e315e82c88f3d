/** Moma workloads of many customers and sales, for the restart, large-file and benchmark runs. */

export const cardNumberFor = (customer: number) =>
  `4000 ${String(1000 + Math.floor(customer / 10_000)).padStart(4, '0')} ${String(customer % 10_000).padStart(4, '0')} ${String(1000 + (customer % 9000))}`;

export function customersFor(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({ userId: `${prefix}-${i}`, cardNumber: cardNumberFor(i) }));
}

/** `perCustomer` sales of `amount` cents for each of `customers` customers, interleaved as a day of vending would be. */
export function salesFor(prefix: string, customers: number, perCustomer: number, amount = 100) {
  const sales = [];
  for (let round = 0; round < perCustomer; round++) {
    for (let c = 0; c < customers; c++) {
      sales.push({
        transactionId: `${prefix}-${c}-${round}`,
        date: new Date(Date.UTC(2025, 0, 1, 8) + round * 60_000 + c * 1_000).toISOString(),
        amount,
        cardNumber: cardNumberFor(c),
        product: 'Large Coffee',
        machineId: `VEND-${c % 25}`,
      });
    }
  }
  return sales;
}

export const toNdjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');
