# One image for every MedPort service: the command names the entry module to run (compose.yaml gives each service
# its own), e.g. `subgraphs/hospital/src/main.ts` or `gateway/src/main.ts`.
# The services are TypeScript run by tsx, so the image holds the workspace sources and the production
# dependencies of the gateway, the three subgraphs and what they import; the benchmarks' and the tests'
# dependencies stay out.

FROM node:20-bookworm-slim AS install
WORKDIR /app
RUN npm install -g pnpm@10
# The lockfile alone decides what is downloaded, so this layer is reused until the dependencies change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --prod
# The whole workspace is copied (not package by package) so a new package never breaks the frozen install.
COPY . .
# `medport` is the workspace root, whose only production dependency is tsx; `<package>...` adds the workspace
# packages each service imports. --prod leaves out every devDependency, the root's test tooling included.
RUN pnpm install --offline --prod --frozen-lockfile \
      --filter medport \
      --filter '@medport/gateway...' \
      --filter '@medport/hospital...' \
      --filter '@medport/ems...' \
      --filter '@medport/center...'

# The runtime stage has neither pnpm nor its package store; the files stay owned by root, read-only to the
# service's user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=install /app /app
USER node
# Each service answers GET /health and GET /ready on its own port; compose's health checks call /ready.
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["gateway/src/main.ts"]
