module.exports = {
  displayName: 'redis-process',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/redis-process',
};
