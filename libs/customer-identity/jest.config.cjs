module.exports = {
  displayName: 'customer-identity',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/customer-identity',
};
