# syntax=docker/dockerfile:1
#
# Migration Tally's image: the compiled pipeline (dist/) with its production packages, run as the
# unprivileged `node` user. One image serves every role; the command picks it:
#   docker run --rm migration-tally worker --no-projections
# infra/compose.yaml builds it for the worker, the projections and the explorer (docs/deploy.md).
#
# test/int/deploy/dockerfile.int.spec.ts runs these steps (less FROM and USER) in a clean clone,
# and test/unit/deploy/dockerfile.unit.spec.ts checks its rules: keep to RUN, COPY, WORKDIR, ENV
# and the metadata instructions, with relative paths in RUN.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile alone first, so that a change of source does not reinstall the packages.
# No install scripts: none of the dependencies needs one (native parts ship prebuilt).
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TALLY_STACK=external \
    TALLY_LANDING_DIR=/var/lib/tally/landing \
    TALLY_BUNDLE_DIR=/var/lib/tally/bundles
WORKDIR /app
# Code and packages belong to root: the process cannot change what it runs.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/bin/ bin/
# Files the code reads next to itself, where the compiled modules look for them.
COPY connectors/profiles/ dist/connectors/profiles/
COPY domain/data/ dist/domain/data/
COPY web/static/ dist/web/static/
# The one writable place: the landing store (a volume in infra/compose.yaml).
COPY --chown=node:node infra/deploy/state/ /var/lib/tally/
USER node
# 8765 explorer, 9464 worker metrics, 9465 projections metrics (TALLY_METRICS_PORT).
EXPOSE 8765 9464 9465
# Healthy when TALLY_HEALTH_URL (default: this process's metrics endpoint) answers 2xx within 4 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const u = process.env.TALLY_HEALTH_URL || `http://127.0.0.1:${process.env.TALLY_METRICS_PORT || 9464}/metrics`; require('node:http').get(u, { timeout: 4000 }, (r) => process.exit(r.statusCode >= 200 && r.statusCode < 300 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1));"]
ENTRYPOINT ["node", "bin/tally.mjs"]
CMD ["--help"]
