import { fileURLToPath } from 'node:url';
import { authConfigOf, authShape, logLevel, nodeEnv, parseEnvironment, port, type AuthConfig, type Environment } from '@medport/config';
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
      MAX_DEPTH: limit(12),
      MAX_ALIASES: limit(15),
      MAX_TOKENS: limit(2000),
      MAX_COST: limit(5000),
      MAX_DIRECTIVES: limit(50),
      MAX_BODY_BYTES: limit(100_000),
      MAX_LIST_ITEMS: limit(10_000),
      SUBSCRIPTIONS_PER_CONNECTION: limit(20),
      SUBSCRIPTION_MAX_MESSAGE_BYTES: limit(16_384),
      SUBSCRIPTION_INIT_TIMEOUT_MS: limit(3_000),
      SUBSCRIPTION_MAX_QUEUED_EVENTS: limit(100),
      SHARE_SUBGRAPH_QUERIES: z.enum(['true', 'false', '1', '0']).default('true'),
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
    enableIde: development,
    enableIntrospection: development,
    auth: authConfigOf(parsed),
  });
}
