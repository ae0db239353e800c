const nxPreset = require('@nx/jest/preset').default;

// swc instead of ts-jest: about twice as fast here, and it keeps the decorator metadata Nest's DI needs.
module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2023',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js'],
  // jose and content-disposition (of @fastify/static) are published as ES modules only: swc turns them into
  // CommonJS for jest, as it does the sources.
  transformIgnorePatterns: ['/node_modules/(?!(jose|content-disposition)/)'],
};
