// The webpack build of every Node app here (services, crowd, launcher, bench): one bundle per app in
// dist/apps/<app>, compiled with tsc, unminified, with source maps. An app's webpack.config.js only names what
// differs. Listed in nx.json's sharedGlobals, so a change here rebuilds every app.
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/** @param {string} appDir the app's folder (its `__dirname`) */
module.exports = function nodeAppWebpack(appDir, { generatePackageJson = true } = {}) {
  return {
    output: {
      path: join(appDir, '../../dist/apps', basename(appDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson,
        sourceMap: true,
      }),
    ],
  };
};
