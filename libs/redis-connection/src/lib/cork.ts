import type { Redis } from 'ioredis';
import { isCluster, type RedisConnection } from './redis-connection';

/**
 * Holds the connection's socket writes until the end of this turn of the event loop (`setImmediate`), so the
 * commands of every request handled in the turn leave in one socket write: one write per command was the largest
 * cost of an accepted order in the bench's profile. Unlike ioredis's auto-pipelining, each command is still sent
 * from its own request, so its span stays in that request's trace. It reaches ioredis's socket (`stream`, left out
 * of ioredis's docs), which is why it lives beside the connection factory. A cluster client (no one socket) writes
 * as it goes.
 */
export function corkUntilNextTurn(connection: RedisConnection): void {
  if (isCluster(connection)) return;
  // Undefined until the first connect, whatever ioredis's type says.
  const socket: Redis['stream'] | undefined = connection.stream;
  // Corked already: by an earlier command of this turn, whose setImmediate uncorks it.
  if (!socket?.writable || socket.writableCorked > 0) return;
  socket.cork();
  setImmediate(() => socket.uncork());
}
