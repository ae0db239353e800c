import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { K8sObject } from './manifests';

/**
 * Every object of each set against the Kubernetes OpenAPI schemas (kubernetes-models), in one Node process of
 * its own: the problems of each set, in order.
 */
export function schemaProblems(sets: readonly (readonly K8sObject[])[]): string[][] {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-schemas.mjs')], {
    input: JSON.stringify(sets),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}
