import { workspaceRoot } from '@nx/devkit';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths the dashboards depend on, relative to the workspace root. */
export const DASHBOARDS_DIR = 'grafana/dashboards';
export const DATASOURCES = 'grafana/provisioning/datasources/datasources.yaml';

/** Reads a file of the workspace. */
export function readText(rel: string, root: string = workspaceRoot): string {
  return readFileSync(join(root, rel), 'utf8');
}

/** Every file under `rel` (recursively), relative to the workspace root. */
export function filesUnder(rel: string, root: string = workspaceRoot): string[] {
  return readdirSync(join(root, rel), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(root.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}
