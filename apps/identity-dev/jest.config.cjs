module.exports = {
  displayName: 'identity-dev',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/identity-dev',
};
