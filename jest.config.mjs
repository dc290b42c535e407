// Nest 12 is ESM-only, so Jest runs in native ESM mode (NODE_OPTIONS=--experimental-vm-modules,
// set by the npm scripts). Relative imports carry the `.js` suffix that Node's ESM resolver
// needs; the mapper strips it so Jest finds the `.ts` source.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@acs/([a-z0-9-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@acs/([a-z0-9-]+)/testing$': '<rootDir>/libs/$1/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  rootDir: '.',
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/apps/', '<rootDir>/libs/', '<rootDir>/hardware/', '<rootDir>/migrations/'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test/'],
      // 30 s per test and hook (see the file for why).
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
      globalSetup: '<rootDir>/test/support/build-dist.mjs',
      globalTeardown: '<rootDir>/test/support/drop-databases.mjs',
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
};
