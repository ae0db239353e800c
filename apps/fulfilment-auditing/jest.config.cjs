module.exports = {
  displayName: 'fulfilment-auditing',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/fulfilment-auditing',
};
