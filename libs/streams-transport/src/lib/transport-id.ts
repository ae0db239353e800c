/** Transport id of RedisStreamsServer: `@EventPattern(stream, REDIS_STREAMS_TRANSPORT)` binds a handler to it alone. */
export const REDIS_STREAMS_TRANSPORT = Symbol('REDIS_STREAMS');
