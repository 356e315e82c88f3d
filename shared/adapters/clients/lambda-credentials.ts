import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What the functions' bundles use in place of @aws-sdk/credential-provider-node (see infra/function-bundling.ts):
 * the SDK clients' default credential chain reduced to its first link, the environment, which is where Lambda puts
 * the execution role's credentials. The rest of the chain (profiles, SSO, web identity, the container and instance
 * metadata endpoints, and the STS/SSO clients they bring, about 130 KB) can never supply a Lambda's credentials, and
 * a client's `credentials` option does not drop it: every client's runtime config imports it. Unbundled code (the
 * local stack, tests, scripts) keeps the whole chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
