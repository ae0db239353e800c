// The bench runs from the workspace, never from an image: no package.json of its own.
module.exports = require('../../tools/node-app.webpack.cjs')(__dirname, { generatePackageJson: false });
