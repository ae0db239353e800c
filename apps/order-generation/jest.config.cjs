module.exports = {
  displayName: 'order-generation',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/order-generation',
};
