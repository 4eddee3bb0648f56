# One image for every MedPort service; SERVICE picks which one runs (hospital, ems, center or gateway).
# The services are TypeScript run by tsx, so the image holds sources and the workspace's dependencies.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
RUN npm install -g pnpm@10
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/config/package.json packages/config/
COPY packages/database/package.json packages/database/
COPY packages/domain/package.json packages/domain/
COPY packages/graphql/package.json packages/graphql/
COPY packages/server/package.json packages/server/
COPY packages/testing/package.json packages/testing/
COPY subgraphs/hospital/package.json subgraphs/hospital/
COPY subgraphs/ems/package.json subgraphs/ems/
COPY subgraphs/center/package.json subgraphs/center/
COPY gateway/package.json gateway/
COPY schema/package.json schema/
COPY tests/package.json tests/
RUN pnpm install --frozen-lockfile

FROM node:20-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=dependencies /app /app
COPY packages packages
COPY subgraphs subgraphs
COPY gateway gateway
COPY schema schema
USER node
# Each service answers GET /ready on its own port; compose's health checks call it.
CMD ["sh", "-c", "if [ \"$SERVICE\" = gateway ]; then exec node --import tsx gateway/src/main.ts; else exec node --import tsx subgraphs/$SERVICE/src/main.ts; fi"]
