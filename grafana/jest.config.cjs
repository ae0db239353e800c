module.exports = {
  displayName: 'grafana',
  preset: '../jest.preset.js',
  coverageDirectory: '../coverage/grafana',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};
