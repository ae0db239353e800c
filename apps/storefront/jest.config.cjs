module.exports = {
  displayName: 'storefront',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/storefront',
};
