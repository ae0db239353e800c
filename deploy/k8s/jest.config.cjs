module.exports = {
  displayName: 'deploy-k8s',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/deploy/k8s',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};
