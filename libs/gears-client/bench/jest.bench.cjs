// Runs the benchmark through jest (swc + the workspace path mapping), since the workspace has no TS runner.
module.exports = {
  displayName: 'gears-client bench',
  preset: '../../jest.preset.js',
  rootDir: '..',
  testMatch: ['<rootDir>/bench/**/*.bench.ts'],
  testTimeout: 600_000,
};
