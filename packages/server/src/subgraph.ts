import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { createRequestAudit, recordRefusalsOf, type RequestAudit } from '@medport/audit';
import { createTokenVerifier, remoteKeys, type JWTVerifyGetKey, type StoredKeys, type Viewer } from '@medport/auth';
import { eventsSecretOf, type AuthConfig, type SubgraphConfig, type WorkflowConfig } from '@medport/config';
import { eventFeedRoute, httpFeedSource, LiveEvents, OUTBOX_CHANNEL, OutboxSignal, startConsumer, type ConsumerDefinition, type FeedEvent, type RunningConsumer } from '@medport/events';
import { embeddedDatabaseFolder, ensureEmbeddedDatabase, migrateToLatest, openDatabase, unusableEmbeddedDatabase, type DatabaseHandle } from '@medport/database';
import { DateTime, FEDERATION_LINK, SHARED_TYPE_DEFS } from '@medport/graphql';
import type { DocumentNode } from 'graphql';
import { parse } from 'graphql';
import type { Kysely, LogEvent, Migration } from 'kysely';
import { authenticate, requireAuthenticationPlugin, type Authentication } from './authentication.js';
import { serveSubgraphSubscriptions } from './subscriptions.js';
import { clientAddressOf, trustedProxiesOf } from './client-address.js';
import { requestIdOf, type RequestContext } from './context.js';
import { formatErrorFor } from './errors.js';
import { createGraphQLHttpServer, httpOperationsPlugin, listen, type Listening } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { listSizeLimitPlugin, queryLimits, SUBGRAPH_QUERY_LIMITS } from './query-limits.js';
import { forgetOldIdempotentRequests, idempotentMutationsPlugin } from './idempotency.js';
import { requestLogPlugin } from './request-log.js';
import { refusedTextPlugin } from './refused-text.js';
import { recordRevocation, RevocationList } from './revocations.js';
import { databaseKeyStore, trustedKeysRoute } from './trusted-keys.js';
import { vendorReportingDisabled } from './vendor-reporting.js';

/** What a subgraph's resolvers receive: the request's identity, its silo's database and per-request loaders. */
export interface SubgraphContext<DB, Loaders> extends RequestContext {
  db: Kysely<DB>;
  loaders: Loaders;
  /** Issuer and audience of access tokens (the center signs with them, every silo checks them). */
  auth: AuthConfig;
  /** This request's audit trail writer, bound to its caller. */
  audit: RequestAudit;
  /** Offer deadlines and sweeps of the trip workflow. */
  workflow: WorkflowConfig;
  /** The events this silo commits from now on, for its live subscriptions. */
  live: LiveEvents;
  /**
   * The address of the client behind the request, as the gateway forwards it (see `clientAddressOf`); null over
   * graphql-ws, whose connections only the gateway opens.
   */
  clientAddress: string | null;
}

/** Subscribe messages are a query and a few variables; anything larger is refused (the socket closes, 1009). */
const SUBSCRIPTION_MAX_PAYLOAD_BYTES = 64 * 1024;

/** Periodic work of a silo (expiring offers). Replicas may run it at once, so it must lock what it changes. */
export interface BackgroundJob<DB> {
  name: string;
  intervalMs: (config: SubgraphConfig) => number;
  run: (db: Kysely<DB>, config: SubgraphConfig) => Promise<unknown>;
}

export interface SubgraphModule {
  typeDefs: DocumentNode;
  // Resolver maps are checked where they are written (each module types its parents, args and context).
  resolvers: object;
}

/** Everything that makes one silo's service; the three subgraphs differ only in this. */
export interface SubgraphDefinition<DB, Loaders> {
  silo: SubgraphConfig['silo'];
  /** SDL shared by the modules of this subgraph (enums it uses). */
  sharedTypeDefs: string;
  modules: SubgraphModule[];
  migrations: Record<string, Migration>;
  /** Seeds the demo network (`trips` trips, or the standard demo) into an empty database; false when data was already there. */
  seedDemoData: (db: Kysely<DB>, trips?: number) => Promise<boolean>;
  /**
   * The loaders of one request, made once its caller is authenticated: loaders of records only some callers see
   * carry the caller's scope in their SQL. `viewer` is null for an anonymous call (signing in).
   */
  createLoaders: (db: Kysely<DB>, viewer: Viewer | null) => Loaders;
  /** Root fields an anonymous caller may use (signing in); every other field needs a valid access token. */
  publicRootFields?: readonly string[];
  /**
   * Where this silo finds the keys that verify access tokens. By default the JWKS the center publishes; the
   * center, which signs them, reads its own keys instead.
   */
  tokenKeys?: (db: Kysely<DB>) => JWTVerifyGetKey;
  /**
   * Extra HTTP routes of this silo (the center's JWKS, its CSV exports); return false when a request is not one of
   * them. `authenticateRequest` verifies a request's bearer token as the GraphQL endpoint does.
   */
  httpRoutes?: (
    db: Kysely<DB>,
    authenticateRequest: (request: IncomingMessage) => Promise<Authentication>,
  ) => (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;
  /**
   * Whether this silo's mutations take an Idempotency-Key (see `idempotentMutationsPlugin`); its migrations then
   * create the `idempotent_requests` table.
   */
  idempotentMutations?: boolean;
  /** The consumers of the other silos' events that this silo runs. */
  consumers?: ConsumerDefinition<DB>[];
  jobs?: BackgroundJob<DB>[];
}

/** The subgraph's full SDL, as composition and the running service see it. */
export function subgraphTypeDefs(definition: Pick<SubgraphDefinition<unknown, unknown>, 'sharedTypeDefs' | 'modules'>): DocumentNode[] {
  return [parse(`${FEDERATION_LINK}\n${SHARED_TYPE_DEFS}\n${definition.sharedTypeDefs}`), ...definition.modules.map((m) => m.typeDefs)];
}

export function buildSchemaOf(definition: Pick<SubgraphDefinition<unknown, unknown>, 'sharedTypeDefs' | 'modules'>) {
  const [shared, ...modules] = subgraphTypeDefs(definition);
  return buildSubgraphSchema([
    { typeDefs: shared!, resolvers: { DateTime } as GraphQLResolverMap<unknown> },
    ...modules.map((typeDefs, index) => ({
      typeDefs,
      resolvers: definition.modules[index]!.resolvers as GraphQLResolverMap<unknown>,
    })),
  ]);
}

export interface RunningSubgraph<DB> extends Listening {
  database: DatabaseHandle<DB>;
  /** This process's live subscriptions' source (tests wait with it until a subscription listens). */
  live: LiveEvents;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Observes every SQL statement run for a GraphQL request (tests count statements per request with it); the
   * statements of event consumers, jobs and the feed, which run on their own schedule, are left out.
   */
  onQuery?: (event: LogEvent) => void;
  /** Runs in each consumer's transaction before events are recorded as applied (tests inject faults here). */
  beforeAcknowledge?: (consumer: string, events: readonly FeedEvent[]) => void | Promise<void>;
}

/** Outcomes of idempotent mutations are kept a day; once an hour the older ones go. */
const forgetOldIdempotentRequestsJob: BackgroundJob<unknown> = {
  name: 'forgetOldIdempotentRequests',
  intervalMs: () => 3_600_000,
  run: (db) => forgetOldIdempotentRequests(db),
};

/** Runs a job every `intervalMs` until stopped; a failed run is logged and the next one comes as planned. */
function startJob<DB>(job: BackgroundJob<DB>, db: Kysely<DB>, config: SubgraphConfig, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = job
      .run(db, config)
      .catch((error: unknown) => logger.warn({ job: job.name, error: error instanceof Error ? error.message : String(error) }, 'job failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, job.intervalMs(config));
      });
  };
  timer = setTimeout(tick, job.intervalMs(config));
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

/** Runs a silo's migrations and, when asked, seeds the demo network into it if it is empty. */
async function prepareDatabase<DB>(
  definition: SubgraphDefinition<DB, unknown>,
  database: DatabaseHandle<DB>,
  seed: { trips: number | undefined } | false,
  logger: Logger,
) {
  const applied = await migrateToLatest(database.db, definition.migrations);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (seed && (await definition.seedDemoData(database.db, seed.trips))) logger.info('demo data seeded');
}

/**
 * Opens a silo's database migrated and, when `seed` is set, with the demo network in it. On the embedded default a
 * new database is made whole before it takes its place (see `ensureEmbeddedDatabase`), and one that exists but does
 * not open or migrate is reported with its folder and the way out instead of PGlite's own error.
 */
export async function openSiloDatabase<DB>(
  definition: SubgraphDefinition<DB, unknown>,
  config: SubgraphConfig,
  logger: Logger,
  options: { seed: boolean; onQuery?: (event: LogEvent) => void },
): Promise<DatabaseHandle<DB>> {
  const seed = options.seed && { trips: config.demoTrips };
  const embeddedOnDisk = !config.databaseUrl && config.dataDir !== 'memory';
  const folder = embeddedDatabaseFolder(config.dataDir, definition.silo);
  // A database built just now was migrated and seeded while it was built.
  let builtNow = false;
  if (embeddedOnDisk) {
    const outcome = await ensureEmbeddedDatabase(config.dataDir, definition.silo, async (buildDataDir) => {
      logger.info({ folder }, 'creating the embedded database (first start): initialising, migrating, seeding');
      const building = openDatabase<DB>({ name: definition.silo, dataDir: buildDataDir });
      try {
        await building.ping();
        logger.info('embedded database initialised; migrating');
        await prepareDatabase(definition, building, seed, logger);
      } finally {
        await building.close();
      }
    });
    builtNow = outcome === 'created';
  }
  const database = openDatabase<DB>({
    name: definition.silo,
    url: config.databaseUrl,
    dataDir: config.dataDir,
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
  try {
    if (!builtNow) await prepareDatabase(definition, database, seed, logger);
    return database;
  } catch (error) {
    await database.close().catch(() => {});
    throw embeddedOnDisk ? unusableEmbeddedDatabase(definition.silo, folder, error) : error;
  }
}

export async function startSubgraph<DB, Loaders>(
  definition: SubgraphDefinition<DB, Loaders>,
  config: SubgraphConfig,
  options: StartOptions = {},
): Promise<RunningSubgraph<DB>> {
  const logger = createLogger(`medport-${definition.silo}`, config.logLevel);
  // Before the database opens: a data folder whose secret file is unusable stops the start with nothing to undo.
  const eventsSecret = eventsSecretOf(config);
  // Marks the async work of consumers, jobs and the feed, so that statement observers can tell it from requests.
  const background = new AsyncLocalStorage<true>();
  const onQuery = options.onQuery;
  const database = await openSiloDatabase(definition, config, logger, {
    seed: config.seedDemoData,
    ...(onQuery ? { onQuery: (event: LogEvent) => background.getStore() || onQuery(event) } : {}),
  });

  // Silos other than the center keep the center's keys in their own database, so that they start and check tokens
  // while the center is down, and publish that copy for a gateway that starts meanwhile.
  const siloKeyStore = definition.tokenKeys ? null : databaseKeyStore(database.db);
  // Reading and keeping the keys happens on the way into a request but is no part of it (statement observers skip it).
  const keyStore = siloKeyStore && {
    load: () => background.run(true, () => siloKeyStore.load()),
    save: (keys: StoredKeys) => background.run(true, () => siloKeyStore.save(keys)),
  };
  // Tokens revoked before they expire (deactivated accounts, ended sessions), as the center announced them.
  const revocations = new RevocationList(database as DatabaseHandle<unknown>, (work) => background.run(true, work));
  await revocations.start();
  const verifier = createTokenVerifier({
    keys: definition.tokenKeys?.(database.db) ?? remoteKeys(config.auth.jwksUrl, { store: keyStore!, maxKeyAgeMs: config.auth.keysMaxAgeMs }),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    isRevoked: revocations.isRevoked,
  });
  // Every FORBIDDEN refusal of this silo, over HTTP and over graphql-ws, is on its audit trail (see recordRefusalsOf).
  const schema = recordRefusalsOf(buildSchemaOf(definition));
  // The gateway is not the only way in: a port reached without it must not run what the gateway would refuse. As at
  // the gateway, suggestions ("did you mean …") map out the schema, so production leaves them out.
  const hideSuggestions = config.nodeEnv === 'production';
  const limits = queryLimits(SUBGRAPH_QUERY_LIMITS, { hideSuggestions });
  const apollo = new ApolloServer<SubgraphContext<DB, Loaders>>({
    schema,
    includeStacktraceInErrorResponses: false,
    formatError: formatErrorFor(logger, definition.silo),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      requireAuthenticationPlugin(definition.publicRootFields ?? []),
      refusedTextPlugin<SubgraphContext<DB, Loaders>>(),
      ...(limits.plugins as ApolloServerPlugin<SubgraphContext<DB, Loaders>>[]),
      listSizeLimitPlugin<SubgraphContext<DB, Loaders>>(SUBGRAPH_QUERY_LIMITS.maxListItems),
      httpOperationsPlugin<SubgraphContext<DB, Loaders>>(),
      auditOperationNamePlugin(),
      ...(definition.idempotentMutations ? [idempotentMutationsPlugin<SubgraphContext<DB, Loaders>, DB>({
        db: database.db,
        silo: definition.silo,
        // Everything the mutation reads and writes joins the transaction that holds its key (on the embedded
        // database, a single connection, anything else would wait for that transaction).
        bindTo: (context, trx) => {
          const operationName = context.audit.operationName;
          context.db = trx;
          context.loaders = definition.createLoaders(trx, context.viewer);
          context.audit = createRequestAudit(trx, context.viewer, context.requestId);
          context.audit.operationName = operationName;
        },
      })] : []),
      ...vendorReportingDisabled<SubgraphContext<DB, Loaders>>(),
      requestLogPlugin(logger, definition.silo),
    ],
  });
  await apollo.start();

  // The outbox feed wakes waiting consumers of other silos when any replica of this silo commits events.
  const outbox = new OutboxSignal();
  const stopListening = await database.listen(OUTBOX_CHANNEL, outbox.notify);
  const feedRoute = eventFeedRoute(database.db, outbox, eventsSecret, { loopbackOnly: config.events.developmentSecret });
  const live = new LiveEvents(database.db, outbox, logger);
  const siloRoutes = definition.httpRoutes?.(database.db, (request) => authenticate(request, verifier));
  const trustedKeys = keyStore ? trustedKeysRoute(keyStore) : null;
  const trustedProxies = trustedProxiesOf(config.trustedProxies);
  const contextFor = (authentication: Authentication, requestId: string, clientAddress: string | null): SubgraphContext<DB, Loaders> => ({
    requestId,
    clientAddress,
    ...authentication,
    logger,
    db: database.db,
    loaders: definition.createLoaders(database.db, authentication.viewer),
    auth: config.auth,
    audit: createRequestAudit(database.db, authentication.viewer, requestId),
    workflow: config.workflow,
    live,
  });
  const server = createGraphQLHttpServer({
    apollo,
    logger,
    maxBodyBytes: 1_000_000,
    silo: definition.silo,
    ready: () => database.ping(),
    extraRoutes: async (request, response) =>
      (await background.run(true, () => feedRoute(request, response))) ||
      (trustedKeys ? await background.run(true, () => trustedKeys(request, response)) : false) ||
      (siloRoutes ? await siloRoutes(request, response) : false),
    context: async (request) => contextFor(await authenticate(request, verifier), requestIdOf(request, eventsSecret), clientAddressOf(request, trustedProxies)),
  });
  // Silos whose schema has subscriptions serve them over graphql-ws on the same port and path.
  const subscriptions = schema.getSubscriptionType()
    ? serveSubgraphSubscriptions({
        server,
        schema,
        verifier,
        logger,
        silo: definition.silo,
        maxPayloadBytes: SUBSCRIPTION_MAX_PAYLOAD_BYTES,
        limits: {
          validationRules: limits.validationRules,
          maxTokens: SUBGRAPH_QUERY_LIMITS.maxTokens,
          maxListItems: SUBGRAPH_QUERY_LIMITS.maxListItems,
          hideSuggestions,
        },
        contextFor: (viewer, requestId, operationName) => {
          const context = contextFor({ viewer, authenticationError: null }, requestId, null);
          context.audit.operationName = clientOperationName(operationName);
          return context;
        },
      })
    : null;
  const listening = await listen(server, config.host, config.port);
  logger.info({ url: listening.url, database: database.kind }, `${definition.silo} subgraph ready`);

  const consumers: RunningConsumer[] = (definition.consumers ?? []).map((consumer) =>
    background.run(true, () => startConsumer({
      // Every silo keeps the center's revocations, whatever else it applies of the center's events.
      definition:
        consumer.source === 'center'
          ? { ...consumer, handlers: { ...consumer.handlers, AccessRevoked: (trx, event) => recordRevocation(trx, event.payload) } }
          : consumer,
      db: database.db,
      feed: httpFeedSource(consumer.source, config.events.feeds[consumer.source], eventsSecret),
      ping: () => database.ping(),
      logger,
      retry: config.events.retry,
      waitMs: config.events.pollWaitMs,
      ...(options.beforeAcknowledge ? { beforeAcknowledge: (events: readonly FeedEvent[]) => options.beforeAcknowledge!(consumer.name, events) } : {}),
    })),
  );
  const jobs = [...(definition.jobs ?? []), ...(definition.idempotentMutations ? [forgetOldIdempotentRequestsJob as BackgroundJob<DB>] : [])];
  const stopJobs = jobs.map((job) => background.run(true, () => startJob(job, database.db, config, logger)));

  return {
    ...listening,
    database,
    live,
    logger,
    async stop() {
      // Subscribers are told first (1001, going away); consumers and jobs finish their transaction in flight; then
      // requests drain; then the database closes.
      await subscriptions?.close();
      await live.close();
      await Promise.all([...consumers.map((consumer) => consumer.stop()), ...stopJobs.map((stop) => stop())]);
      await listening.close();
      await apollo.stop();
      await revocations.stop();
      await stopListening();
      await database.close();
    },
  };
}

/** A domain module: its SDL file next to its resolvers. */
export function schemaModule(sdlFile: URL, resolvers: object): SubgraphModule {
  return { typeDefs: parse(readFileSync(sdlFile, 'utf8')), resolvers };
}

/** The gateway names the part of an operation it sends to a silo `<name>__<silo>__<n>`; the trail keeps the client's own name. */
function clientOperationName(operationName: string | null): string | null {
  return operationName?.replace(/__[A-Za-z0-9_]+__\d+$/, '') ?? null;
}

/** Gives the audit writer the operation's name once it is known, so every record names what the client ran. */
function auditOperationNamePlugin<TContext extends { audit: RequestAudit }>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName }) {
          contextValue.audit.operationName = clientOperationName(operationName ?? null);
        },
      };
    },
  };
}
