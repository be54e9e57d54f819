/** Jest runs TypeScript through ts-jest (transpile only: `npm test` type-checks the whole tree with tsc first). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Generous: these are shared 2-core machines, and a timeout here is a hang guard, never a speed check (see bench/).
  testTimeout: 180000,
  maxWorkers: 2,
};
