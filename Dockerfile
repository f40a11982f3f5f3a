# nse-flow worker image (also runs the CLI and the NSE simulator): `docker build -t nse-flow .`
# Debian, not Alpine: the Temporal core bridge ships prebuilt glibc binaries only (x86_64 and aarch64).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to lib/ and prebuild the workflow bundle (lib/workflow-bundle.js) ----
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
RUN npm run build

# ---- runtime: production dependencies, compiled code, no sources or dev tools ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
# The core bridge ships native binaries for five platforms (~140 MB); keep only this image's, then check it loads.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && target="$(node -p "require('@temporalio/core-bridge/common').getPrebuiltTargetName()")" \
 && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$target" -exec rm -rf {} + \
 && node -e "require('@temporalio/core-bridge')"
COPY bin ./bin
COPY --from=build /app/lib ./lib
# Code and dependencies stay owned by root, read-only to the process, which needs no writable app directory.
USER node
ENTRYPOINT ["node", "bin/nse-flow.js"]
CMD ["worker"]
