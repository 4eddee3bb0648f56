# One image for every MedPort service; SERVICE picks which one runs (hospital, ems, center or gateway).
# The services are TypeScript run by tsx, so the image holds the workspace sources and its dependencies,
# installed from the lockfile. The whole workspace is copied (not package by package) so a new package never
# breaks the frozen install.
FROM node:20-bookworm-slim
ARG SERVICE
WORKDIR /app
RUN npm install -g pnpm@10
COPY . .
RUN pnpm install --frozen-lockfile
ENV NODE_ENV=production SERVICE=${SERVICE}
USER node
# Each service answers GET /ready on its own port; compose's health checks call it.
CMD ["sh", "-c", "if [ \"$SERVICE\" = gateway ]; then exec node --import tsx gateway/src/main.ts; else exec node --import tsx subgraphs/$SERVICE/src/main.ts; fi"]
