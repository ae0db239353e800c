module.exports = {
  displayName: 'service-runner',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/service-runner',
};
