import fastify from 'fastify';
import { randomBytes } from 'node:crypto';

/**
 * The yardstick of intake's accepted path: Fastify answering `POST /api/orders` with a 202 and a ticket-shaped body,
 * nothing else (no token, no Redis). Prints its port, then serves until SIGTERM.
 */
export async function runBareFastify(): Promise<void> {
  const server = fastify();
  server.post('/api/orders', async (_request, reply) =>
    reply.status(202).send({ orderId: randomBytes(16).toString('base64url'), status: 'pending', submittedAt: Date.now() }),
  );
  await server.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ port: (server.server.address() as { port: number }).port })}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}
