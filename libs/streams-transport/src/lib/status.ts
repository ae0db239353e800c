import type { ReplaySubject } from 'rxjs';
import type { RedisClient } from './connection';

/** Connection status of a transport server or client, as their `status` observable reports it. */
export enum RedisStreamsStatus {
  CONNECTED = 'connected',
  RECONNECTING = 'reconnecting',
  DISCONNECTED = 'disconnected',
}

/** Follows a connection's life on the status subject. */
export function reportStatus(redis: RedisClient, status$: ReplaySubject<RedisStreamsStatus>): void {
  if (redis.status === 'ready') status$.next(RedisStreamsStatus.CONNECTED);
  redis.on('ready', () => status$.next(RedisStreamsStatus.CONNECTED));
  redis.on('reconnecting', () => status$.next(RedisStreamsStatus.RECONNECTING));
  redis.on('end', () => status$.next(RedisStreamsStatus.DISCONNECTED));
}
