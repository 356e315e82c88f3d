import { SnsClient } from '../aws/sns';

// The SDK's standard retry with more attempts: exponential backoff with jitter on throttling and transient errors.
export const snsClient = new SnsClient({ maxAttempts: 6 });
