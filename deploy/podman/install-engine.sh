#!/usr/bin/env bash
# Makes this machine able to build and run the compose stack without Docker: podman with runc and the cgroupfs
# manager, podman-compose, debootstrap (for the base images, base-images.sh). Idempotent and quick when done.
# Needs root (apt-get, /etc/containers). Why each setting: deploy/README.md, "Without Docker Hub".
set -euo pipefail

# Debian's podman 4.3 networks through CNI, whose bridge resolves no container name without the dnsname plugin
# (a network made without it says "dns_enabled": false, and the services find no `redis`).
packages=(podman runc catatonit debootstrap podman-compose golang-github-containernetworking-plugin-dnsname)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# crun fails on this kind of host's hybrid cgroup mounts, and podman's default ulimits exceed the sandbox's hard
# limits (setrlimit: Operation not permitted): runc, cgroupfs and explicit ulimits for every container.
conf=/etc/containers/containers.conf.d/popup-store.conf
wanted='[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [[ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]]; then
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$wanted" >"$conf"
fi
podman --version
