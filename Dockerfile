# nse-flow worker image (also runs the CLI): `docker build -t nse-flow .` (the last stage, `runtime`).
# The NSE simulator, a test double for demos, is its own image: `docker build --target simulator -t nse-simulator .`;
# the worker image does not carry it.
# Debian, not Alpine: the Temporal core bridge ships prebuilt glibc binaries only (x86_64 and aarch64).
# Node and npm are pinned to the versions the project is tested with (docs/security.md, "The image").
ARG NODE_VERSION=20.20.2
ARG NPM_VERSION=11.19.1

# ---- base: the pinned Node and npm, checked ----
FROM node:${NODE_VERSION}-bookworm-slim AS base
ARG NODE_VERSION
ARG NPM_VERSION
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
RUN npm install --global --ignore-scripts --no-audit --no-fund "npm@${NPM_VERSION}" \
 && npm cache clean --force \
 && test "$(node --version)" = "v${NODE_VERSION}" \
 && test "$(npm --version)" = "${NPM_VERSION}"

# ---- build: compile TypeScript to lib/ and prebuild the workflow bundle (lib/workflow-bundle.js) ----
# Install scripts never run: no dependency needs one here (each is listed, with the reason, in docs/security.md and
# test/unit/dockerfile.test.ts); the native parts come as prebuilt optional packages and are checked by loading them.
FROM base AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node -e "require('@swc/core'); require('@temporalio/core-bridge')"
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
RUN npm run build

# ---- simulator-build: compile the NSE simulator (simulator/, outside src/) to lib-simulator/ ----
FROM build AS simulator-build
COPY tsconfig.simulator.json ./
COPY simulator ./simulator
RUN npm run build:simulator

# ---- dependencies: production dependencies only, no sources or dev tools ----
FROM base AS dependencies
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
# The core bridge ships native binaries for five platforms (~140 MB); keep only this image's, then check it loads.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && target="$(node -p "require('@temporalio/core-bridge/common').getPrebuiltTargetName()")" \
 && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$target" -exec rm -rf {} + \
 && node -e "require('@temporalio/core-bridge'); require('@swc/core')"

# ---- simulator: the NSE simulator image (docker-compose.yml's nse-simulator service) ----
FROM dependencies AS simulator
COPY simulator/bin.js ./simulator/bin.js
COPY --from=simulator-build /app/lib-simulator ./lib-simulator
USER node
ENTRYPOINT ["node", "simulator/bin.js"]

# ---- runtime: the worker image: production dependencies and the compiled worker and CLI ----
FROM dependencies AS runtime
COPY bin ./bin
COPY --from=build /app/lib ./lib
# Code and dependencies stay owned by root, read-only to the process, which needs no writable app directory.
USER node
ENTRYPOINT ["node", "bin/nse-flow.js"]
CMD ["worker"]
