module.exports = {
  displayName: 'launcher-browser',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/launcher-browser',
  testMatch: ['**/*.browser.spec.ts'],
};
