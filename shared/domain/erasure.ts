/**
 * The kind of an erased customer's tombstone: the profile item that is left under the customer's id, holding only
 * when it was erased. Every reader treats it as a customer that is gone: no account to award to, nothing to show.
 */
export const ERASED_CUSTOMER = 'erased-customer';

/** How an erased customer's pseudonymous account id begins: `anon-` and a random UUID, mapped back by nothing. */
export const PSEUDONYM_PREFIX = 'anon-';
