import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { createTokenVerifier, JWKS_PATH, PUBLIC_ROOT_FIELDS, remoteKeys } from '@medport/auth';
import {
  createGraphQLHttpServer,
  createLogger,
  disableApolloGatewayTelemetry,
  formatErrorFor,
  IDEMPOTENCY_KEY_HEADER,
  httpOperationsPlugin,
  listen,
  listSizeLimitPlugin,
  queryLimits,
  requestLogPlugin,
  authenticate,
  clientAddressOf,
  requireAuthenticationPlugin,
  trustedProxiesOf,
  refusedTextPlugin,
  type Listening,
  type Logger,
  vendorReportingDisabled,
} from '@medport/server';
import { requestIdSecretOf, type GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { createGraphiQL } from './graphiql.js';
import { SharedSubscriptions } from './live/shared-subscriptions.js';
import { serveGatewaySubscriptions } from './live/subscription-server.js';
import { SubscriptionPlanner } from './live/subscription-plans.js';
import { ChangeCounter, subgraphSharingPlugin } from './subgraph-sharing.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import type { ValidationRule } from 'graphql';

export interface RunningGateway extends Listening {
  logger: Logger;
  /** Live subscriptions now: client connections, upstream subscriptions and the subscribers they serve. */
  subscriptionStats(): { connections: number; upstreams: number; subscribers: number };
  /** Subgraph requests answered by joining an identical one in flight, per subgraph, since the start. */
  sharedSubgraphRequests(): Record<string, number>;
  stop(): Promise<void>;
}

type Silo = keyof GatewayConfig['subgraphUrls'];

/** Renew a shared upstream subscription this long before the token it was opened with expires. */
const RENEW_UPSTREAM_BEFORE_EXPIRY_MS = 60_000;

const webSocketUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** How long the gateway's `/ready` waits for a subgraph's own, and how long it reuses what it learnt. */
const SUBGRAPH_READY_TIMEOUT_MS = 2_000;
const READINESS_REUSE_MS = 1_000;

/**
 * The gateway's `/ready`: it is ready once its schema is loaded, since a silo being down degrades answers (the
 * others' data and an error naming the silo), not the gateway; taking every gateway out of a load balancer for one
 * silo would turn a partial outage into a total one. The answer lists each subgraph as `ready` or `unavailable`
 * (its own `/ready` did not answer in time) and says `degraded` while one is not. Probes of one second are
 * shared, so a flood of `/ready` requests cannot become a flood on the subgraphs.
 */
function subgraphsReadiness(dataSources: Record<Silo, SubgraphDataSource>) {
  let last: { at: number; answer: Promise<Record<string, unknown>> } | undefined;
  const probe = async () => {
    const states = await Promise.all(
      Object.entries(dataSources).map(async ([name, dataSource]) => [name, (await dataSource.ready(SUBGRAPH_READY_TIMEOUT_MS)) ? 'ready' : 'unavailable'] as const),
    );
    const subgraphs = Object.fromEntries(states);
    return { ...(states.every(([, state]) => state === 'ready') ? {} : { status: 'degraded' }), subgraphs };
  };
  return () => {
    if (!last || Date.now() - last.at > READINESS_REUSE_MS) last = { at: Date.now(), answer: probe() };
    return last.answer;
  };
}

/**
 * The one public endpoint. It serves the committed supergraph (no runtime introspection of the subgraphs),
 * plans each operation across the silos and never touches a database.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger('medport-gateway', config.logLevel);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const requestIdSecret = requestIdSecretOf(config);
  if (!requestIdSecret) logger.warn('EVENTS_SECRET is not set: the subgraphs will file their log lines and audit records under request ids of their own');
  // One client per silo, shared by queries and by the per-event fetches of subscriptions.
  const dataSources = Object.fromEntries(
    Object.entries(config.subgraphUrls).map(([name, url]) => [name, new SubgraphDataSource(name, url, requestIdSecret)]),
  ) as Record<Silo, SubgraphDataSource>;
  // Mutations and live events move it on; a query shares subgraph requests only with those that saw the same count.
  const changes = new ChangeCounter();
  disableApolloGatewayTelemetry();
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const dataSource = dataSources[name as Silo];
      if (!dataSource) throw new Error(`No URL for subgraph ${name}`);
      return dataSource;
    },
  });

  // Suggestions ("did you mean …") map out a hidden schema; only development gets them.
  const protection = queryLimits(config.limits, { hideSuggestions: !config.enableIntrospection });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.enableIntrospection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    formatError: formatErrorFor(logger),
    // Armor's plugins only read the operation, so they fit any context type.
    plugins: [
      // A refused token stops the operation here, before planning reaches any subgraph. Where introspection is on
      // (development), the IDE may read the schema before anyone has signed in.
      requireAuthenticationPlugin(config.enableIntrospection ? [...PUBLIC_ROOT_FIELDS, '__schema', '__type'] : PUBLIC_ROOT_FIELDS),
      // Text no silo can store is refused here, before planning; each subgraph refuses it again for direct callers.
      refusedTextPlugin<GatewayContext>(),
      ...(protection.plugins as ApolloServerPlugin<GatewayContext>[]),
      listSizeLimitPlugin<GatewayContext>(config.limits.maxListItems),
      httpOperationsPlugin<GatewayContext>(),
      ...vendorReportingDisabled<GatewayContext>(),
      requestLogPlugin(logger),
      ...(config.shareSubgraphQueries ? [subgraphSharingPlugin(changes)] : []),
    ],
  });
  await apollo.start();

  // Tokens are checked here so a bad one never reaches a subgraph; each subgraph checks again and decides what the
  // caller may see. Anonymous calls and refused tokens may only sign in, refresh or sign out.
  const verifier = createTokenVerifier({
    // When the center does not answer (a gateway starting during its outage), the other silos' copies of its keys do.
    keys: remoteKeys(config.auth.jwksUrl, {
      relays: [config.subgraphUrls.hospital, config.subgraphUrls.ems].map((url) => new URL(JWKS_PATH, url).toString()),
      maxKeyAgeMs: config.auth.keysMaxAgeMs,
    }),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  const graphiql = config.enableIde ? createGraphiQL() : null;
  const trustedProxies = trustedProxiesOf(config.trustedProxies);
  const server = createGraphQLHttpServer({
    apollo,
    logger,
    maxBodyBytes: config.limits.maxBodyBytes,
    ready: subgraphsReadiness(dataSources),
    extraRoutes: graphiql ?? undefined,
    context: async (request, response) => {
      // The gateway names every request itself: an id a client sent could blend its records into another's audit
      // trail. The id goes back in the x-request-id response header for the client's own correlation.
      const requestId = randomUUID();
      response.setHeader('x-request-id', requestId);
      const authentication = await authenticate(request, verifier);
      return {
        ...authentication,
        requestId,
        authorization: authentication.viewer && typeof request.headers.authorization === 'string' ? request.headers.authorization : null,
        // Checked by the subgraph that keeps the outcome; two headers are passed joined, which it refuses.
        ...(request.headers[IDEMPOTENCY_KEY_HEADER] !== undefined ? { idempotencyKey: [request.headers[IDEMPOTENCY_KEY_HEADER]].flat().join(', ') } : {}),
        clientAddress: clientAddressOf(request, trustedProxies),
      };
    },
  });
  const planner = new SubscriptionPlanner(supergraphSdl, dataSources, logger);
  const shared = new SharedSubscriptions({
    planner,
    subgraphUrls: Object.fromEntries(Object.entries(config.subgraphUrls).map(([name, url]) => [name, webSocketUrl(url)])),
    logger,
    maxQueuedEvents: config.subscriptions.maxQueuedEvents,
    renewBeforeExpiryMs: RENEW_UPSTREAM_BEFORE_EXPIRY_MS,
    onEvent: () => changes.advance(),
  });
  const subscriptions = serveGatewaySubscriptions({
    server,
    planner,
    shared,
    verifier,
    validationRules: protection.validationRules as ValidationRule[],
    limits: { ...config.subscriptions, maxTokens: config.limits.maxTokens, maxListItems: config.limits.maxListItems },
    hideSuggestions: !config.enableIntrospection,
    logger,
  });
  const listening = await listen(server, config.host, config.port);
  logger.info({ url: listening.url, subgraphs: config.subgraphUrls }, 'gateway ready');
  return {
    ...listening,
    logger,
    subscriptionStats: () => ({ connections: subscriptions.connections, ...shared.stats() }),
    sharedSubgraphRequests: () => Object.fromEntries(Object.entries(dataSources).map(([name, dataSource]) => [name, dataSource.deduplicated])),
    async stop() {
      // Subscribers first, with a proper close (1001), so their apps reconnect elsewhere instead of timing out.
      try {
        await subscriptions.close();
        await listening.close();
        await apollo.stop();
      } finally {
        await Promise.all(Object.values(dataSources).map((dataSource) => dataSource.close()));
      }
    },
  };
}
