import type { AppendFsync } from '@popup-store/redis-process';
import { freePort } from '@popup-store/redis-process';
import type { StartedTestContainer } from 'testcontainers';

/** Redis 8 bundles RedisTimeSeries, which the metrics exporter uses when present. */
const DEFAULT_IMAGE = 'redis:8.2';

/** A Redis container on a fixed host port, so a restart comes back at the same URL. */
export class RedisContainer {
  private constructor(
    private readonly container: StartedTestContainer,
    readonly port: number,
  ) {}

  static async start(appendfsync: AppendFsync | undefined): Promise<RedisContainer> {
    const { GenericContainer, Wait } = await import('testcontainers');
    const port = await freePort();
    const persistence = appendfsync ? ['--appendonly', 'yes', '--appendfsync', appendfsync] : ['--appendonly', 'no'];
    const container = await new GenericContainer(process.env['REDIS_IMAGE'] ?? DEFAULT_IMAGE)
      .withCommand(['redis-server', '--save', '', ...persistence])
      .withExposedPorts({ container: 6379, host: port })
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    return new RedisContainer(container, port);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.docker('stop');
  }

  async kill(): Promise<void> {
    await this.docker('kill');
  }

  async pause(): Promise<void> {
    await this.docker('pause');
  }

  async resume(): Promise<void> {
    await this.docker('unpause');
  }

  /** Starts the same container again: its AOF, in the container's own file system, is replayed. */
  async restart(): Promise<void> {
    await this.container.restart();
  }

  async dispose(): Promise<void> {
    await this.container.stop({ remove: true, timeout: 0 });
  }

  private async docker(action: 'stop' | 'kill' | 'pause' | 'unpause'): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(this.container.getId());
    if (action === 'kill') await container.kill({ signal: 'SIGKILL' });
    else await container[action]();
  }
}
