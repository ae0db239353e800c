/** The images and the compose stack on podman (`npm run test:images`): slow and needs root, so not in `npm test`. */
module.exports = {
  ...require('./jest.config.cjs'),
  displayName: 'deploy:images',
  testMatch: ['<rootDir>/podman/test/**/*.images.spec.ts'],
};
