module.exports = {
  displayName: 'launcher',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/launcher',
  // The fault scenarios are slow: they run with `npm run test:chaos` (jest.chaos.config.cjs), not `npm test`; the
  // storefront's browser tests need Chromium: `npm run test:browser` (jest.browser.config.cjs).
  testPathIgnorePatterns: ['/node_modules/', '\\.chaos\\.spec\\.ts$', '\\.browser\\.spec\\.ts$'],
};
