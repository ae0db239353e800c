module.exports = {
  displayName: 'streams-transport',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/streams-transport',
};
