# ---- build: install everything, compile TypeScript to dist/, then drop what production does not need
FROM node:22-bookworm-slim AS build
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
# No install scripts are needed to compile with tsc (they only hydrate the embedded
# PostgreSQL binaries and native test tooling).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# `npm run build` runs scripts/copy-sql-files.mjs after tsc.
COPY scripts ./scripts
RUN npm run build
# Dev dependencies go, and so do the embedded PostgreSQL binaries (optional dependencies):
# DATABASE_URL is always set in a container, and the embedded server is only loaded without it.
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only, as the non-root `node` user
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# Files stay owned by root (read-only for the app); nothing under /app is written at run time.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1 and receives SIGTERM from `docker stop` directly (no npm wrapper).
CMD ["node", "dist/src/main.js"]
