# metrics-export: turns the completed and rejected streams into metrics, served for Prometheus on :9464/metrics.
# Streams (TOPOLOGY in libs/keys): reads completed (group metrics), rejected (group metrics).
#
# Build context: the repository root (deploy/compose.yaml builds it that way too):
#   docker build -f deploy/docker/metrics-export.Dockerfile -t popup-store/metrics-export .
# metrics-export.Dockerfile.dockerignore (beside this file) keeps node_modules, dist, .git out of the context.
# Base image versions: deploy/.env passes the same values as build args; these defaults must match it.

ARG NODE_VERSION=24.21.0
ARG DEBIAN_RELEASE=bookworm

# 1. build: the same in all six Dockerfiles, byte for byte (tested), so that the engine's layer cache runs it once
#    for the six images (a Dockerfile cannot include another). It bundles every service with webpack into
#    dist/apps/<app>/main.js beside the package.json and package-lock.json of its runtime dependencies
#    (generatePackageJson), puts the storefront's build (the page shoppers buy from, served by customer-intake at
#    /) into dist/apps/customer-intake/storefront, and installs each app's runtime dependencies from its lockfile.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
WORKDIR /repo
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Nx's cache is kept between builds: after a change, only what it affects is built again.
RUN --mount=type=cache,target=/repo/.nx,sharing=locked npx nx run-many -t build --outputStyle=static \
    -p customer-intake order-generation fulfilment-auditing metrics-export identity-dev crowd \
  && npx nx run customer-intake:bundle-storefront --outputStyle=static
RUN --mount=type=cache,target=/root/.npm for lockfile in dist/apps/*/package-lock.json; do \
    (cd "$(dirname "$lockfile")" && npm ci --omit=dev --no-audit --no-fund) || exit 1; \
  done

# 2. runtime: slim Node, this app's bundle and its node_modules from the build stage (owned by root, read-only to
#    the app), run as node.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build /repo/dist/apps/metrics-export/ ./
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.js"]
