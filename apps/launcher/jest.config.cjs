module.exports = {
  displayName: 'launcher',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/launcher',
};
