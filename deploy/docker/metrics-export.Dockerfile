# metrics-export: turns the completed and rejected streams into metrics, served for Prometheus on :9464/metrics.
# Streams (TOPOLOGY in libs/keys): reads completed (group metrics), rejected (group metrics).
#
# Build context: the repository root (deploy/compose.yaml builds it that way too):
#   docker build -f deploy/docker/metrics-export.Dockerfile -t popup-store/metrics-export .
# metrics-export.Dockerfile.dockerignore (beside this file) keeps node_modules, dist, .git out of the context.
# Base image versions: deploy/.env passes the same values as build args; these defaults must match it.

ARG NODE_VERSION=24.21.0
ARG DEBIAN_RELEASE=bookworm

# 1. build: the whole workspace. `nx build metrics-export` bundles the app with webpack into
#    dist/apps/metrics-export/main.js and, beside it (generatePackageJson), the package.json and
#    package-lock.json of its runtime dependencies.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
WORKDIR /repo
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Nx's cache (and its project graph) is kept between builds: the libraries this app shares with the other
# images are built once, whichever image is built first (one build at a time uses it: Nx keeps state there).
RUN --mount=type=cache,target=/repo/.nx,sharing=locked npx nx build metrics-export --outputStyle=static

# 2. deps: only those runtime dependencies, installed from that lockfile.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS deps
WORKDIR /app
COPY --from=build /repo/dist/apps/metrics-export/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# 3. runtime: slim Node, the bundle and its node_modules (owned by root, read-only to the app), run as node.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app ./
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.js"]
