import path from 'node:path';

const REPO_ROOT = path.join(__dirname, '..');

/**
 * Modules the functions' bundles substitute (esbuild's `alias`), as paths relative to the repository root. The SDK's
 * default credential chain becomes the environment alone (see shared/adapters/clients/lambda-credentials.ts).
 */
export const FUNCTION_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './shared/adapters/clients/lambda-credentials.ts',
};

/** The aliases with absolute paths, for esbuild's JavaScript API run from any directory (`build({ alias })`). */
export const functionBundleAliases = (root = REPO_ROOT): Record<string, string> =>
  Object.fromEntries(Object.entries(FUNCTION_BUNDLE_ALIASES).map(([name, target]) => [name, path.join(root, target)]));

/** The aliases as esbuild command-line arguments (NodejsFunction's `esbuildArgs`, run from the repository root). */
export const functionBundleAliasArgs = (): Record<string, string[]> => ({
  '--alias': Object.entries(FUNCTION_BUNDLE_ALIASES).map(([name, target]) => `${name}=${target}`),
});
