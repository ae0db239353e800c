module.exports = {
  displayName: 'customer-intake',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/customer-intake',
};
