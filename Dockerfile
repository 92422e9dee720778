# Latchkey production image: build dist/ with the dev toolchain, drop the toolchain, then a slim
# runtime that runs as the unprivileged `node` user. No container runtime works on the machine this
# is developed on, so test/deploy/dockerfile.test.ts runs these steps outside a container on every
# `npm test`: the COPY sources exist, the RUN steps succeed in a clean copy, the CMD answers /readyz.
# See docs/deploy.md.

# 1. Build: install everything (`npm ci` builds dist/: tsc, the pages' assets, the console's script),
#    then keep only the production dependencies, native ones (better-sqlite3, argon2) already built.
#    packages/ holds the npm workspaces (@latchkey/client, @latchkey/verify) the server imports.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY src ./src
RUN npm ci --no-audit --no-fund
RUN npm prune --omit=dev --no-audit --no-fund

# 2. Runtime: no compiler, no TypeScript, no tests.
FROM node:24-bookworm-slim
# NODE_OPTIONS: V8's young generation capped at 2 × 8 MB and the old generation at 384 MB, for a
# container of 512 MB (docs/deploy.md, "Memory", has the measurement). Raise --max-old-space-size
# with the container's memory limit.
ENV LATCHKEY_ENVIRONMENT=production HOST=0.0.0.0 PORT=3000 LATCHKEY_DATABASE=/data/latchkey.sqlite \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=384"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# node_modules/@latchkey/* are links to the workspace packages, built into packages/*/dist.
COPY --from=build /app/packages ./packages
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "bin/latchkey.mjs", "serve"]
