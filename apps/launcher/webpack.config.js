module.exports = require('../../tools/node-app.webpack.cjs')(__dirname);
