import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { K8sObject } from './manifests';

/** Every object against the Kubernetes OpenAPI schemas (kubernetes-models), in a Node process of its own. */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-schemas.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}
