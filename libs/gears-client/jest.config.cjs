module.exports = {
  displayName: 'gears-client',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/gears-client',
};
