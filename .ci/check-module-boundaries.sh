#!/usr/bin/env bash
# Proves the module boundaries hold: the graph has no edge into an app, and lint rejects an app importing another.
set -euo pipefail
cd "$(dirname "$0")/.."

graph=$(mktemp -d)/graph.json
npx nx graph --file="$graph" >/dev/null
node -e '
  const { graph } = require(process.argv[1]);
  const apps = new Set(Object.values(graph.nodes).filter((n) => n.type === "app").map((n) => n.name));
  const bad = Object.entries(graph.dependencies).flatMap(([from, deps]) =>
    deps.filter((d) => apps.has(d.target)).map((d) => `${from} -> ${d.target}`));
  if (bad.length) { console.error("edges into apps:\n" + bad.join("\n")); process.exit(1); }
  console.log(`module graph: ${Object.keys(graph.nodes).length} projects, no edge into an app`);
' "$graph"

probe=apps/crowd/src/boundary-probe.ts
trap 'rm -f "$probe"' EXIT
echo "export { bootstrap } from '../../customer-intake/src/main';" > "$probe"
if out=$(npx eslint "$probe" 2>&1); then
  echo "lint accepted an app -> app import" >&2
  exit 1
fi
grep -q 'enforce-module-boundaries' <<<"$out" || { echo "lint failed for another reason:" >&2; echo "$out" >&2; exit 1; }
echo "lint rejects an app -> app import"
