module.exports = {
  displayName: 'deploy',
  preset: '../jest.preset.js',
  coverageDirectory: '../coverage/deploy',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};
