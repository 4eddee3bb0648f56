import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { createTokenVerifier, PUBLIC_ROOT_FIELDS, remoteKeys } from '@medport/auth';
import {
  createGraphQLHttpServer,
  createLogger,
  formatErrorFor,
  listen,
  requestLogPlugin,
  authenticate,
  requireAuthenticationPlugin,
  type Listening,
  type Logger,
} from '@medport/server';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { createGraphiQL } from './graphiql.js';
import { SubgraphDataSource } from './subgraph-data-source.js';

export interface RunningGateway extends Listening {
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * The one public endpoint. It serves the committed supergraph (no runtime introspection of the subgraphs),
 * plans each operation across the silos and never touches a database.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger('medport-gateway', config.logLevel);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const override = config.subgraphUrls[name as keyof GatewayConfig['subgraphUrls']];
      if (!override && !url) throw new Error(`No URL for subgraph ${name}`);
      return new SubgraphDataSource(name, override ?? url!);
    },
  });

  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    maxTokens: { n: config.limits.maxTokens },
    costLimit: { maxCost: config.limits.maxCost },
    maxDirectives: { n: config.limits.maxDirectives },
    // Suggestions ("did you mean …") map out a hidden schema; only development gets them.
    blockFieldSuggestion: { enabled: !config.enableIntrospection },
  });
  const protection = armor.protect();

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.enableIntrospection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    validationRules: protection.validationRules,
    formatError: formatErrorFor(logger),
    // Armor's plugins only read the operation, so they fit any context type.
    plugins: [
      // A refused token stops the operation here, before planning reaches any subgraph. Where introspection is on
      // (development), the IDE may read the schema before anyone has signed in.
      requireAuthenticationPlugin(config.enableIntrospection ? [...PUBLIC_ROOT_FIELDS, '__schema', '__type'] : PUBLIC_ROOT_FIELDS),
      ...(protection.plugins as ApolloServerPlugin<GatewayContext>[]),
      ApolloServerPluginLandingPageDisabled(),
      requestLogPlugin(logger),
    ],
  });
  await apollo.start();

  // Tokens are checked here so a bad one never reaches a subgraph; each subgraph checks again and decides what the
  // caller may see. Anonymous calls and refused tokens may only sign in, refresh or sign out.
  const verifier = createTokenVerifier({
    keys: remoteKeys(config.auth.jwksUrl),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  const graphiql = config.enableIde ? createGraphiQL() : null;
  const server = createGraphQLHttpServer({
    apollo,
    logger,
    maxBodyBytes: config.limits.maxBodyBytes,
    // The gateway is ready once its schema is loaded; a silo being down degrades answers, not readiness.
    ready: async () => {},
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
      };
    },
  });
  const listening = await listen(server, config.host, config.port);
  logger.info({ url: listening.url, subgraphs: config.subgraphUrls }, 'gateway ready');
  return {
    ...listening,
    logger,
    async stop() {
      await listening.close();
      await apollo.stop();
    },
  };
}
