module.exports = {
  displayName: 'redis-connection',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/redis-connection',
};
