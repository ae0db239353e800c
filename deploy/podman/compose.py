#!/usr/bin/python3
"""podman-compose (Debian's 1.0.3) with Compose's precedence of variables: the shell's environment over .env.

1.0.3 lets deploy/.env win over the environment, so `REDIS_PORT=16379 podman-compose up` would still publish Redis
on 6379; Compose, and deploy/README.md, give the environment the last word. Everything else is podman-compose as is.
Use it as podman-compose: deploy/podman/compose.py -p popup-store -f deploy/compose.yaml up -d
"""
import os

import podman_compose

read_dotenv = podman_compose.dotenv_to_dict
podman_compose.dotenv_to_dict = lambda path: {
    name: value for name, value in read_dotenv(path).items() if name not in os.environ
}

if __name__ == "__main__":
    podman_compose.main()
