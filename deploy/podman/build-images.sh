#!/usr/bin/env bash
# Builds on podman everything `npm run test:images` runs, without running it: the engine (install-engine.sh), the
# base images (base-images.sh) and every image compose.yaml builds, from its Dockerfile, by the compose tool. The
# images suite then finds each layer built and its own build step takes seconds. Needs root. Prints the time each
# part took.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
deploy="$(dirname "$here")"

timed() {
  local started=$SECONDS
  "$@"
  echo "build-images: '$(basename "$1") ${*:2}' took $((SECONDS - started)) s"
}

timed bash "$here/install-engine.sh"
timed bash "$here/base-images.sh"
# podman-compose 1.0.3 knows no profiles: `build` builds every service with a build section, the crowd's too.
# The project name is the images suite's, as its builds are.
timed "$here/compose.py" -p popup-store -f "$deploy/compose.yaml" build
