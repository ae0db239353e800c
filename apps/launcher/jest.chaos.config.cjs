/** The fault scenarios (`npm run test:chaos`): each a whole sale with a fault injected, one at a time. */
module.exports = {
  ...require('./jest.config.cjs'),
  displayName: 'launcher:chaos',
  testMatch: ['<rootDir>/src/**/*.chaos.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
