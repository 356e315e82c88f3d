/** Moma records as the vending machines send them. */
export function momaSale(overrides: Record<string, unknown> = {}) {
  return {
    transactionId: `TXN-${Math.random().toString(36).slice(2, 10)}`,
    date: '2025-01-01T14:30:00Z',
    amount: 350,
    cardNumber: '4111 1111 1111 1111',
    product: 'Large Coffee',
    machineId: 'VEND-001',
    ...overrides,
  };
}
