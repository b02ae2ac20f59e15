# syntax=docker/dockerfile:1
#
# One image for both processes of Raccordo:
#   API (default):  node --import tsx api/main.ts
#   Worker:         node --import tsx worker/main.ts   (docker-compose.yml overrides the command)
#
# TypeScript runs through tsx, which is a production dependency, so `npm ci --omit=dev` is all the image needs.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- dependencies: only the lock file decides what is installed, so this layer is cached until it changes ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and only readable by the `node` user: the running app cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY machines ./machines
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY platform ./platform
COPY record ./record
COPY scripts ./scripts
COPY config ./config
# The app writes the audit register and the open sessions only: their own directories, on volumes in docker-compose.yml.
RUN mkdir -p /app/data/audit && chown node:node /app/data/audit
RUN mkdir -p /app/data/sessions && chown node:node /app/data/sessions

# The official image's unprivileged user (uid 1000).
USER node

# 3000: HTTP API. 2575: HL7 v2 MLLP listener.
EXPOSE 3000 2575

# Meaningful for the API only; the worker service in docker-compose.yml disables it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "--import", "tsx", "api/main.ts"]
