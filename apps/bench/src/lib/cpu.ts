import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICES, type ServiceName } from '@popup-store/keys';
import type { RunningServices } from '@popup-store/service-runner';
import type { Redis } from 'ioredis';

/** CPU seconds Redis has used (user + system), from `INFO cpu`: its main thread and background threads alike. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return read('used_cpu_user') + read('used_cpu_sys');
}

let ticksPerSecond: number | undefined;

/**
 * CPU seconds a process has used (utime + stime of /proc/<pid>/stat), counted by the kernel: it includes what a
 * process does outside its event loop (GC, libuv threads) and needs nothing from the process itself.
 */
export function processCpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count the fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** A process's resident set (VmRSS of /proc/<pid>/status), in MB. */
export function processRssMegabytes(pid: number): number {
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kilobytes) / 1024;
}

/** CPU seconds each stream service has used so far. */
export function servicesCpuSeconds(services: RunningServices): Record<ServiceName, number> {
  return Object.fromEntries(SERVICES.map((name) => [name, processCpuSeconds(services.pid(name))])) as Record<
    ServiceName,
    number
  >;
}

/**
 * Redis's time and calls per command since the last `CONFIG RESETSTAT` (`INFO commandstats`), per order: where
 * Redis's CPU goes, for the report. Named `redisUsecPerOrder:<command>` and `redisCallsPerOrder:<command>`.
 */
export async function commandStatsPerOrder(redis: Redis, orders: number): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const [, command, calls, usec] of (await redis.info('commandstats')).matchAll(
    /cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g,
  )) {
    figures[`redisUsecPerOrder:${command}`] = Number(usec) / orders;
    figures[`redisCallsPerOrder:${command}`] = Number(calls) / orders;
  }
  return figures;
}
