module.exports = {
  displayName: 'customer-intake',
  preset: '../../jest.preset.js',
  // @fastify/static's content-disposition ships only ESM, which jest's CommonJS runtime cannot require: swc converts it.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  coverageDirectory: '../../coverage/apps/customer-intake',
};
