import type { Config } from 'jest';

// The SDK versions are pinned for Node 20 (this machine); Lambda runs Node 22. Its upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const transform: Config['transform'] = {
  '^.+\\.[tj]s$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
};
// @middy/core ships only ES modules; let ts-jest turn it into CommonJS like our own code.
const transformIgnorePatterns = ['/node_modules/(?!@middy/)'];

// Type checking is `tsc --noEmit` (part of `npm test`); ts-jest only transpiles, which keeps runs fast.
const config: Config = {
  // The integration files share one DynamoDB Local: running them one at a time keeps a heavy file from starving the others.
  maxWorkers: 1,
  // Integration tests share one local stack on a 2-core machine: give each room to finish.
  testTimeout: 30_000,
  projects: [
    {
      displayName: 'unit',
      testMatch: [
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/handlers/**/*.test.ts',
        '<rootDir>/test/infra/**/*.test.ts',
        '<rootDir>/console/test/**/*.test.ts',
      ],
      testEnvironment: 'node',
      // The functions' environment, set before a test file imports a handler (which reads it at module scope).
      setupFiles: ['<rootDir>/test/handlers/handler-env.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
  ],
};

export default config;
