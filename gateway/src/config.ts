import { fileURLToPath } from 'node:url';
import { authConfigOf, authShape, eventsShape, generatedEventsSecret, logLevel, nodeEnv, parseEnvironment, port, trustedProxies, type AuthConfig, type Environment } from '@medport/config';
import { DEFAULT_QUERY_LIMITS } from '@medport/server';
import { z } from 'zod';

const url = z.string().url();
const limit = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export interface GatewayConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: string;
  host: string;
  port: number;
  supergraphPath: string;
  /** Where each subgraph answers; overrides the URLs written in the supergraph file. */
  subgraphUrls: Record<'hospital' | 'ems' | 'center', string>;
  limits: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number; maxDirectives: number; maxBodyBytes: number; maxListItems: number };
  /** Live subscriptions over graphql-ws. */
  subscriptions: {
    maxPerConnection: number;
    maxMessageBytes: number;
    initTimeoutMs: number;
    maxQueuedEvents: number;
  };
  /** Identical queries of one caller in flight are sent to a subgraph once (see SubgraphDataSource). */
  shareSubgraphQueries: boolean;
  /**
   * Proxies in front of the gateway (load balancers) whose `x-forwarded-for` names the client; none by default, so
   * the client is the socket's peer. The gateway forwards the client's address to the subgraphs.
   */
  trustedProxies: readonly string[];
  /**
   * The secret the silos share (EVENTS_SECRET). The gateway signs the request ids it forwards with it, and the
   * subgraphs accept no other; undefined when unset (see `requestIdSecretOf`).
   */
  eventsSecret: string | undefined;
  /** The silos' data folder on this machine (MEDPORT_DATA_DIR), which holds their generated secret when none is set. */
  dataDir: string;
  /** The IDE and introspection are for development; production turns both off. */
  enableIde: boolean;
  enableIntrospection: boolean;
  auth: AuthConfig;
}

export function loadGatewayConfig(env: Environment = process.env): Readonly<GatewayConfig> {
  const parsed = parseEnvironment(
    {
      NODE_ENV: nodeEnv,
      LOG_LEVEL: logLevel,
      HOST: z.string().default('0.0.0.0'),
      GATEWAY_PORT: port(4000),
      SUPERGRAPH_PATH: z.string().default(DEFAULT_SUPERGRAPH_PATH),
      HOSPITAL_URL: url.default('http://localhost:4001/graphql'),
      EMS_URL: url.default('http://localhost:4002/graphql'),
      CENTER_URL: url.default('http://localhost:4003/graphql'),
      // The subgraphs' own limits are derived from these defaults (see SUBGRAPH_QUERY_LIMITS).
      MAX_DEPTH: limit(DEFAULT_QUERY_LIMITS.maxDepth),
      MAX_ALIASES: limit(DEFAULT_QUERY_LIMITS.maxAliases),
      MAX_TOKENS: limit(DEFAULT_QUERY_LIMITS.maxTokens),
      MAX_COST: limit(DEFAULT_QUERY_LIMITS.maxCost),
      MAX_DIRECTIVES: limit(DEFAULT_QUERY_LIMITS.maxDirectives),
      MAX_BODY_BYTES: limit(100_000),
      MAX_LIST_ITEMS: limit(DEFAULT_QUERY_LIMITS.maxListItems),
      SUBSCRIPTIONS_PER_CONNECTION: limit(20),
      SUBSCRIPTION_MAX_MESSAGE_BYTES: limit(16_384),
      SUBSCRIPTION_INIT_TIMEOUT_MS: limit(3_000),
      SUBSCRIPTION_MAX_QUEUED_EVENTS: limit(100),
      SHARE_SUBGRAPH_QUERIES: z.enum(['true', 'false', '1', '0']).default('true'),
      TRUSTED_PROXIES: trustedProxies('none'),
      EVENTS_SECRET: eventsShape.EVENTS_SECRET,
      MEDPORT_DATA_DIR: z.string().default('.data'),
      ...authShape,
    },
    env,
  );
  const development = parsed.NODE_ENV !== 'production';
  return Object.freeze({
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.GATEWAY_PORT,
    supergraphPath: parsed.SUPERGRAPH_PATH,
    subgraphUrls: { hospital: parsed.HOSPITAL_URL, ems: parsed.EMS_URL, center: parsed.CENTER_URL },
    limits: {
      maxDepth: parsed.MAX_DEPTH,
      maxAliases: parsed.MAX_ALIASES,
      maxTokens: parsed.MAX_TOKENS,
      maxCost: parsed.MAX_COST,
      maxDirectives: parsed.MAX_DIRECTIVES,
      maxBodyBytes: parsed.MAX_BODY_BYTES,
      maxListItems: parsed.MAX_LIST_ITEMS,
    },
    subscriptions: {
      maxPerConnection: parsed.SUBSCRIPTIONS_PER_CONNECTION,
      maxMessageBytes: parsed.SUBSCRIPTION_MAX_MESSAGE_BYTES,
      initTimeoutMs: parsed.SUBSCRIPTION_INIT_TIMEOUT_MS,
      maxQueuedEvents: parsed.SUBSCRIPTION_MAX_QUEUED_EVENTS,
    },
    shareSubgraphQueries: parsed.SHARE_SUBGRAPH_QUERIES === 'true' || parsed.SHARE_SUBGRAPH_QUERIES === '1',
    trustedProxies: Object.freeze(parsed.TRUSTED_PROXIES),
    eventsSecret: parsed.EVENTS_SECRET,
    dataDir: parsed.MEDPORT_DATA_DIR,
    enableIde: development,
    enableIntrospection: development,
    auth: authConfigOf(parsed),
  });
}

/**
 * The secret the gateway signs request ids with, found as the silos find theirs (`eventsSecretOf`): EVENTS_SECRET,
 * or outside production the one generated in their data folder. Null in production without EVENTS_SECRET, where the
 * silos have one the gateway cannot know: it then forwards its ids unsigned, and each subgraph names requests itself.
 */
export function requestIdSecretOf(config: Pick<GatewayConfig, 'eventsSecret' | 'dataDir' | 'nodeEnv'>): string | null {
  if (config.eventsSecret) return config.eventsSecret;
  return config.nodeEnv === 'production' ? null : generatedEventsSecret(config.dataDir);
}
