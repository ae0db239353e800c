import { spawn } from 'node:child_process';
import { text } from 'node:stream/consumers';
import { join } from 'node:path';
import type { K8sObject } from './manifests';

/**
 * Every object of each set against the Kubernetes OpenAPI schemas (kubernetes-models), in one Node process of
 * its own, which runs while the caller does other work: the problems of each set, in order.
 */
export async function schemaProblems(sets: readonly (readonly K8sObject[])[]): Promise<string[][]> {
  const child = spawn(process.execPath, [join(__dirname, 'validate-schemas.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  child.stdin.end(JSON.stringify(sets));
  const out = await text(child.stdout);
  const code = await exited;
  if (code !== 0) throw new Error(`validate-schemas.mjs exited with ${code}`);
  return JSON.parse(out) as string[][];
}
