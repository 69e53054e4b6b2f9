# modelgate in a container. Build: docker build -t modelgate .
# Run: docker run --init -p 4000:4000 -v modelgate-data:/data \
#        -v "$PWD/modelgate.yaml:/etc/modelgate/modelgate.yaml:ro" modelgate
# The config must set auth (the container binds 0.0.0.0); secrets such as MLFLOW_TRACKING_TOKEN
# come in as environment variables named by the config, never in the file.
# test/ship/package.test.ts runs this recipe's install and start steps outside Docker.

# 1. Compile and pack exactly what `npm pack` ships (with @modelgate/client, a workspace, bundled inside).
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm pack --ignore-scripts && mv modelgate-*.tgz /tmp/modelgate.tgz

# 2. Production install of the tarball; the native SQLite binding is built here, with the tools it needs.
FROM node:22-bookworm-slim AS install
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /tmp/modelgate.tgz /tmp/modelgate.tgz
RUN npm install --omit=dev --no-audit --no-fund /tmp/modelgate.tgz

# 3. The runtime: same base (same libc for the binding), no compiler, not root.
FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 MODELGATE_DATA_DIR=/data MODELGATE_CONFIG=/etc/modelgate/modelgate.yaml
WORKDIR /app
COPY --from=install /app /app
RUN mkdir -p /data /etc/modelgate && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (drain, close, exit 0); `docker run --init` adds a reaper.
CMD ["node", "node_modules/modelgate/bin/modelgate.js", "serve"]
