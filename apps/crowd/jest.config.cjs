module.exports = {
  displayName: 'crowd',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/crowd',
};
