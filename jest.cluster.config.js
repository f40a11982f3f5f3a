/**
 * `npm run test:cluster`: the suite under test/cluster, which starts its own cluster (tools/dev/cluster.ts) and needs
 * no dev server, so none of the main suite's global set-up.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/cluster'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
