import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** What the figures were measured on. */
export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly redis: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews the figures. */
  readonly loadAtStart: readonly number[];
}

export async function describeMachine(redis: Redis): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  return {
    cores: availableParallelism(),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    redis: redisVersion,
    node: process.version,
    loadAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

export function machineLine(machine: Machine): string {
  return (
    `${machine.cores} cores (${machine.cpu}), Redis ${machine.redis}, Node ${machine.node}, ` +
    `load average at start ${machine.loadAtStart.join(' / ')}`
  );
}
