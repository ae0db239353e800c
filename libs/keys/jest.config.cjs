module.exports = {
  displayName: 'keys',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/keys',
};
