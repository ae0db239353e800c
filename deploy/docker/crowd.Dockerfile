# crowd: the seeded load generator: customers arriving through the HTTP API. Runs once, prints a summary.
#
# Build context: the repository root (deploy/compose.yaml builds it that way too):
#   docker build -f deploy/docker/crowd.Dockerfile -t popup-store/crowd .
# crowd.Dockerfile.dockerignore (beside this file) keeps node_modules, dist, .git out of the context.
# Base image versions: deploy/.env passes the same values as build args; these defaults must match it.

ARG NODE_VERSION=24.21.0
ARG DEBIAN_RELEASE=bookworm

# 1. build: the whole workspace. `nx build crowd` bundles the app with webpack into
#    dist/apps/crowd/main.js and, beside it (generatePackageJson), the package.json and
#    package-lock.json of its runtime dependencies.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
WORKDIR /repo
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Nx's cache (and its project graph) is kept between builds: the libraries this app shares with the other
# images are built once, whichever image is built first (one build at a time uses it: Nx keeps state there).
RUN --mount=type=cache,target=/repo/.nx,sharing=locked npx nx build crowd --outputStyle=static

# 2. deps: only those runtime dependencies, installed from that lockfile.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS deps
WORKDIR /app
COPY --from=build /repo/dist/apps/crowd/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# 3. runtime: slim Node, the bundle and its node_modules (owned by root, read-only to the app), run as node.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app ./
USER node
# A one-shot client: no port, no health check. Arguments after main.js: --url, --rate, --customers (see --help).
CMD ["node", "main.js"]
