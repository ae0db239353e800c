#!/usr/bin/python3
"""podman-compose (Debian's 1.0.3) with two of its departures from Compose's variable interpolation fixed.

- The environment over .env: 1.0.3 lets deploy/.env win, so `REDIS_PORT=16379 podman-compose up` would still
  publish Redis on 6379; Compose, and deploy/README.md, give the environment the last word.
- An empty default: 1.0.3 leaves `${ADMIN_TOKEN:-}` as it is, so customer-intake would take the 16 characters
  `${ADMIN_TOKEN:-}` for its operator token; Compose gives the empty string.

And two of podman's departures from Docker:

- podman builds OCI images by default, which hold no HEALTHCHECK (it is dropped with a warning); Compose's builds
  keep it. BUILDAH_FORMAT=docker makes podman build Docker images.
- podman 4.3 reads only the context's .dockerignore, not the <Dockerfile>.dockerignore beside the Dockerfile that
  BuildKit reads instead: without it the build stage would copy the host's node_modules, .git and .nx into the
  image and hash them on every build. Each build is given its Dockerfile's ignore file with --ignorefile.

Everything else is podman-compose as is (deploy/README.md lists what it lacks). Use it as podman-compose:
    deploy/podman/compose.py -p popup-store -f deploy/compose.yaml up -d
"""
import os
import re

import podman_compose

os.environ.setdefault("BUILDAH_FORMAT", "docker")

read_dotenv = podman_compose.dotenv_to_dict
podman_compose.dotenv_to_dict = lambda path: {
    name: value for name, value in read_dotenv(path).items() if name not in os.environ
}
podman_compose.var_re = re.compile(
    podman_compose.var_re.pattern.replace("(?P<default>[^}]+)", "(?P<default>[^}]*)"), re.VERBOSE
)

run_podman = podman_compose.Podman.run


def run_with_ignore_file(self, podman_args, cmd="", cmd_args=None, *rest, **options):
    """Runs podman, a build with the ignore file beside its Dockerfile (-f), where there is one."""
    cmd_args = list(cmd_args or [])
    if cmd == "build" and "-f" in cmd_args and "--ignorefile" not in cmd_args:
        ignore_file = cmd_args[cmd_args.index("-f") + 1] + ".dockerignore"
        if os.path.isfile(ignore_file):
            cmd_args = ["--ignorefile", ignore_file, *cmd_args]
    return run_podman(self, podman_args, cmd, cmd_args, *rest, **options)


podman_compose.Podman.run = run_with_ignore_file

if __name__ == "__main__":
    podman_compose.main()
