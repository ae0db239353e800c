import type { DeadLetter } from '@popup-store/contracts';

/** Events of a transport server or client (`on(event, listener)`). */
export type RedisStreamsEvents = {
  /** The connection failed (it reconnects by itself; this is for alerting). */
  error: (error: Error) => void;
  /** An entry was written to a dead-letter stream and acked (server only). */
  'dead-letter': (letter: DeadLetter) => void;
};
