module.exports = {
  displayName: 'redis-harness',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/redis-harness',
};
