import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The Nx workspace root: the nearest folder above `from` that holds nx.json. */
export function workspaceRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
}

/** Paths the dashboards depend on, relative to the workspace root. */
export const DASHBOARDS_DIR = 'grafana/dashboards';
export const DATASOURCES = 'grafana/provisioning/datasources/datasources.yaml';

/** Reads a file of the workspace. */
export function readText(rel: string, root: string = workspaceRoot()): string {
  return readFileSync(join(root, rel), 'utf8');
}

/** Every file under `rel` (recursively), relative to the workspace root. */
export function filesUnder(rel: string, root: string = workspaceRoot()): string[] {
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
