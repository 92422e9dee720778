# Latchkey production image: build dist/ with the dev toolchain, then a slim runtime that holds only
# what `npm ci --omit=dev` installs, running as a non-root user. Docker itself cannot run on the
# machine this was written on; the same steps are exercised outside Docker by test/ops (a clean copy,
# `npm ci --omit=dev`, start from dist/, /readyz answers). See docs/deploy.md.

# 1. Build: compile src/ to dist/ (TypeScript + the console's browser bundle).
FROM node:20-bookworm AS build
WORKDIR /app
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.json tsconfig.sdk.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY native ./native
COPY src ./src
RUN npm ci --no-audit --no-fund

# 2. Production dependencies only, on a tree that already has dist/ (native addons built here).
FROM node:20-bookworm AS deps
WORKDIR /app
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY --from=build /app/dist ./dist
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: no compiler, no TypeScript, no tests.
FROM node:20-bookworm-slim
ENV LATCHKEY_ENVIRONMENT=production HOST=0.0.0.0 PORT=3000 LATCHKEY_DATABASE=/data/latchkey.sqlite
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The V8 code cache for this stage's Node (the build stage wrote one for its own): dist/ stays
# read-only to the server's user, who could not write it at start (docs/deploy.md).
RUN node bin/warm-code-cache.mjs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "bin/latchkey.mjs", "serve"]
