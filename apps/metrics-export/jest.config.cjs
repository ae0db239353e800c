module.exports = {
  displayName: 'metrics-export',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/metrics-export',
};
