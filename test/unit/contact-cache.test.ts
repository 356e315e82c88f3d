import { CachingCustomerContacts, type CustomerContact } from '../../shared/notify/notify';

describe('the contact cache of the notify function', () => {
  test('a device endpoint is read once a minute; a consent check always reads fresh', async () => {
    let now = 0;
    let stored: CustomerContact = { pushEndpoint: 'arn:endpoint/1', marketingConsent: true };
    const reads: string[] = [];
    const cache = new CachingCustomerContacts(
      {
        contactOf: async (userId) => {
          reads.push(userId);
          return { ...stored };
        },
      },
      { ttlMs: 60_000, now: () => now },
    );
    expect(await cache.contactOf('ann')).toEqual(stored);
    expect(await cache.contactOf('ann')).toEqual(stored);
    expect(reads).toEqual(['ann']);
    stored = { pushEndpoint: 'arn:endpoint/1', marketingConsent: false };
    expect(await cache.contactOf('ann', { fresh: true })).toMatchObject({ marketingConsent: false });
    expect(reads).toHaveLength(2);
    now += 60_000;
    await cache.contactOf('ann');
    expect(reads).toHaveLength(3);
  });

  test('an unknown customer is not remembered', async () => {
    const reads: string[] = [];
    const cache = new CachingCustomerContacts({
      contactOf: async (userId) => {
        reads.push(userId);
        return undefined;
      },
    });
    await cache.contactOf('ghost');
    await cache.contactOf('ghost');
    expect(reads).toEqual(['ghost', 'ghost']);
  });
});
