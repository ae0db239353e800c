// A consumer process that takes entries for its group, prints their ids and then hangs without acking them, so
// a test can kill it with SIGKILL while it holds them. Plain CommonJS: it runs on bare Node, with no transpiler.
const { Redis } = require('ioredis');

const [url, stream, group, consumer, count] = process.argv.slice(2);
const redis = new Redis(url);
redis
  .xreadgroup('GROUP', group, consumer, 'COUNT', Number(count), 'STREAMS', stream, '>')
  .then((reply) => process.stdout.write(`${JSON.stringify(reply ? reply[0][1].map(([id]) => id) : [])}\n`));
