import type { DeadLetter } from '@popup-store/contracts';

/** Events of a transport server or client (`on(event, listener)`). */
export type RedisStreamsEvents = {
  /** The connection failed (it reconnects by itself; this is for alerting). */
  error: (error: Error) => void;
  /** An entry was written to a dead-letter stream and acked (server only). */
  'dead-letter': (letter: DeadLetter) => void;
  /**
   * A consumer group had vanished (its stream deleted, Redis restarted empty) and the server made it again, from
   * the group start id (server only): whatever the old stream held is gone, so a producer may have to replay it.
   */
  'group-recreated': (stream: string, group: string) => void;
};
