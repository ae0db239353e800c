#!/usr/bin/env bash
# Proves the module boundaries hold: no app or lib depends on an app (only the non-code projects may, dashboards and
# deploy, so that `nx affected` reruns their checks when the app they describe changes), and lint rejects an app
# importing another.
set -euo pipefail
cd "$(dirname "$0")/.."

graph=$(mktemp -d)/graph.json
npx nx graph --file="$graph" >/dev/null
node -e '
  const { graph } = require(process.argv[1]);
  const apps = new Set(Object.values(graph.nodes).filter((n) => n.type === "app").map((n) => n.name));
  const describesApps = (name) => (graph.nodes[name].data.tags ?? []).some((t) => t === "type:dashboards" || t === "type:deploy");
  const bad = Object.entries(graph.dependencies).flatMap(([from, deps]) =>
    deps.filter((d) => apps.has(d.target) && !describesApps(from)).map((d) => `${from} -> ${d.target}`));
  if (bad.length) { console.error("edges into apps:\n" + bad.join("\n")); process.exit(1); }
  console.log(`module graph: ${Object.keys(graph.nodes).length} projects, no app or lib depends on an app`);
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
