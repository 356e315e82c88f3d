import { SNSClient } from '@aws-sdk/client-sns';

// The SDK's standard retry strategy with more attempts: exponential backoff with jitter on throttling and transient errors.
export const snsClient = new SNSClient({ maxAttempts: 6 });
