# customer-intake: the HTTP edge. Takes orders (POST /api/orders) and appends them to the customers stream.
# Streams (TOPOLOGY in libs/keys): writes customers.
#
# Build context: the repository root (deploy/compose.yaml builds it that way too):
#   docker build -f deploy/docker/customer-intake.Dockerfile -t popup-store/customer-intake .
# customer-intake.Dockerfile.dockerignore (beside this file) keeps node_modules, dist, .git out of the context.
# Base image versions: deploy/.env passes the same values as build args; these defaults must match it.

ARG NODE_VERSION=24.21.0
ARG DEBIAN_RELEASE=bookworm

# 1. build: the whole workspace. `nx build customer-intake` bundles the app with webpack into
#    dist/apps/customer-intake/main.js and, beside it (generatePackageJson), the package.json and
#    package-lock.json of its runtime dependencies; `bundle-storefront` puts the storefront's build (the page
#    shoppers buy from, served at /) into dist/apps/customer-intake/storefront.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
WORKDIR /repo
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Nx's cache (and its project graph) is kept between builds: the libraries this app shares with the other
# images are built once, whichever image is built first (one build at a time uses it: Nx keeps state there).
RUN --mount=type=cache,target=/repo/.nx,sharing=locked npx nx build customer-intake --outputStyle=static \
  && npx nx run customer-intake:bundle-storefront --outputStyle=static

# 2. deps: only those runtime dependencies, installed from that lockfile.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS deps
WORKDIR /app
COPY --from=build /repo/dist/apps/customer-intake/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# 3. runtime: slim Node, the bundle and its node_modules (owned by root, read-only to the app), run as node.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app ./
USER node
ENV HOST=0.0.0.0 PORT=3000 STOREFRONT_DIR=/app/storefront
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.js"]
