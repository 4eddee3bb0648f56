import { isIP } from 'node:net';
import { z } from 'zod';
import { generatedEventsSecret } from './events-secret.js';

export * from './events-secret.js';

/**
 * Each service parses its environment once, at start-up, into a frozen typed object. Every problem is reported
 * in one error so an operator fixes them all in one go instead of one restart per typo.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Environment = Record<string, string | undefined>;

export function parseEnvironment<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Environment = process.env,
): Readonly<z.infer<z.ZodObject<Shape>>> {
  // Empty strings count as unset: compose files and shells often export VAR= for "no value".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const databaseUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL')
  .optional();

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const nodeEnv = z.enum(['development', 'production', 'test']).default('development');

/** One address (`10.0.0.7`, `::1`) or block (`10.0.0.0/8`, `fd00::/8`) of a comma-separated list. */
function isAddressOrBlock(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/**
 * The proxies whose `x-forwarded-for` names the client: comma-separated addresses and CIDR blocks, or `none`.
 * A request from anyone else is the client itself, whatever it claims to forward.
 */
export const trustedProxies = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => (value.trim() === 'none' ? [] : value.split(',').map((entry) => entry.trim()).filter(Boolean)))
    .refine((entries) => entries.every(isAddressOrBlock), 'must be comma-separated IP addresses or CIDR blocks (10.0.0.0/8, fd00::/8), or none');

/** Where access tokens' public keys are published (the center's JWKS), and what a valid token must say. */
export const authShape = {
  AUTH_JWKS_URL: z.string().url().default('http://localhost:4003/.well-known/jwks.json'),
  AUTH_ISSUER: z.string().default('medport'),
  AUTH_AUDIENCE: z.string().default('medport-api'),
  /** How long the center's keys stay trusted while the center cannot be reached (from their last read there). */
  AUTH_KEYS_MAX_AGE_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
} as const;

export interface AuthConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** How long keys last read from the center are trusted while it cannot be reached. */
  keysMaxAgeMs: number;
}

export function authConfigOf(parsed: Record<string, unknown>): AuthConfig {
  return {
    jwksUrl: parsed.AUTH_JWKS_URL as string,
    issuer: parsed.AUTH_ISSUER as string,
    audience: parsed.AUTH_AUDIENCE as string,
    keysMaxAgeMs: (parsed.AUTH_KEYS_MAX_AGE_HOURS as number) * 3_600_000,
  };
}

/** The settings every subgraph shares; `silo` picks which `<SILO>_DATABASE_URL` and default port apply. */
export function subgraphConfigShape(silo: 'hospital' | 'ems' | 'center', defaultPort: number) {
  const prefix = silo.toUpperCase();
  return {
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    HOST: z.string().default('0.0.0.0'),
    [`${prefix}_PORT`]: port(defaultPort),
    [`${prefix}_DATABASE_URL`]: databaseUrl,
    /** Folder for the embedded PGlite databases, or `memory` to keep them in memory. */
    MEDPORT_DATA_DIR: z.string().default('.data'),
    /** Seed the demo network into an empty database. Defaults to on for the embedded database only. */
    SEED_DEMO_DATA: z.enum(['true', 'false', '1', '0']).optional(),
    /** How many trips the demo network holds (320 unless set; the same in every silo). For load tests. */
    DEMO_TRIPS: z.coerce.number().int().min(40).max(200_000).optional(),
    /** Only the gateway calls the subgraphs; by default the quick start's gateway, on this machine. */
    TRUSTED_PROXIES: trustedProxies('127.0.0.1,::1'),
    ...authShape,
    ...eventsShape,
  } as const;
}

/** How the silos reach each other's event feeds, and how hard a consumer tries before parking an event. */
export const eventsShape = {
  /**
   * Shared by the silos: consumers present it to read another silo's feed. Required in production; elsewhere, when
   * unset, the services of one data folder share a secret generated there (see `generatedEventsSecret`).
   */
  EVENTS_SECRET: z.string().min(16).optional(),
  HOSPITAL_URL: z.string().url().default('http://localhost:4001/graphql'),
  EMS_URL: z.string().url().default('http://localhost:4002/graphql'),
  CENTER_URL: z.string().url().default('http://localhost:4003/graphql'),
  EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(6),
  EVENT_RETRY_BASE_MS: z.coerce.number().int().min(1).default(200),
  EVENT_RETRY_MAX_MS: z.coerce.number().int().min(1).default(5_000),
  /** How long a feed read waits for new events before the consumer asks again (the safety net under NOTIFY). */
  EVENT_POLL_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(10_000),
  /** How long agencies have to accept an offer before the trip expires. */
  OFFER_DEADLINE_SECONDS: z.coerce.number().int().min(1).default(3_600),
  /** How often ems looks for offers past their deadline. */
  OFFER_EXPIRY_SWEEP_MS: z.coerce.number().int().min(10).default(5_000),
} as const;

/** The constant earlier versions used without EVENTS_SECRET: known to everyone, so never a production secret. */
const FORMER_DEVELOPMENT_EVENTS_SECRET = 'medport-development-events-secret';

export interface EventsConfig {
  /** EVENTS_SECRET; undefined when it is not set, and the services use a generated one (see `eventsSecretOf`). */
  secret: string | undefined;
  /** True without EVENTS_SECRET: the feed then serves this machine only. */
  developmentSecret: boolean;
  /** Each silo's events feed. */
  feeds: Record<'hospital' | 'ems' | 'center', string>;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  pollWaitMs: number;
}

export interface WorkflowConfig {
  offerDeadlineSeconds: number;
  offerExpirySweepMs: number;
}

export interface SubgraphConfig {
  silo: 'hospital' | 'ems' | 'center';
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: z.infer<typeof logLevel>;
  host: string;
  port: number;
  /** A PostgreSQL URL, or undefined for the embedded database. */
  databaseUrl: string | undefined;
  dataDir: string;
  seedDemoData: boolean;
  /** The demo network's number of trips when it is seeded; undefined for the standard demo. */
  demoTrips: number | undefined;
  /** Addresses and CIDR blocks whose `x-forwarded-for` names the client (the gateway's). */
  trustedProxies: readonly string[];
  auth: AuthConfig;
  events: EventsConfig;
  workflow: WorkflowConfig;
}

export function loadSubgraphConfig(
  silo: SubgraphConfig['silo'],
  defaultPort: number,
  env: Environment = process.env,
): Readonly<SubgraphConfig> {
  const prefix = silo.toUpperCase();
  const parsed = parseEnvironment(subgraphConfigShape(silo, defaultPort), env) as Record<string, unknown>;
  const databaseUrlValue = parsed[`${prefix}_DATABASE_URL`] as string | undefined;
  const seed = parsed.SEED_DEMO_DATA as string | undefined;
  const nodeEnvValue = parsed.NODE_ENV as SubgraphConfig['nodeEnv'];
  const secret = parsed.EVENTS_SECRET as string | undefined;
  if ((!secret || secret === FORMER_DEVELOPMENT_EVENTS_SECRET) && nodeEnvValue === 'production') {
    throw new ConfigError(['EVENTS_SECRET: required in production (at least 16 characters, the same in every silo, not the former development constant)']);
  }
  const feedOf = (variable: string) => new URL('/events', parsed[variable] as string).toString();
  return Object.freeze({
    silo,
    nodeEnv: nodeEnvValue,
    logLevel: parsed.LOG_LEVEL as SubgraphConfig['logLevel'],
    host: parsed.HOST as string,
    port: parsed[`${prefix}_PORT`] as number,
    databaseUrl: databaseUrlValue,
    dataDir: parsed.MEDPORT_DATA_DIR as string,
    seedDemoData: seed === undefined ? databaseUrlValue === undefined : seed === 'true' || seed === '1',
    demoTrips: parsed.DEMO_TRIPS as number | undefined,
    trustedProxies: Object.freeze(parsed.TRUSTED_PROXIES as string[]),
    auth: authConfigOf(parsed),
    events: {
      secret,
      developmentSecret: secret === undefined,
      feeds: { hospital: feedOf('HOSPITAL_URL'), ems: feedOf('EMS_URL'), center: feedOf('CENTER_URL') },
      retry: {
        maxAttempts: parsed.EVENT_MAX_ATTEMPTS as number,
        baseDelayMs: parsed.EVENT_RETRY_BASE_MS as number,
        maxDelayMs: parsed.EVENT_RETRY_MAX_MS as number,
      },
      pollWaitMs: parsed.EVENT_POLL_WAIT_MS as number,
    },
    workflow: {
      offerDeadlineSeconds: parsed.OFFER_DEADLINE_SECONDS as number,
      offerExpirySweepMs: parsed.OFFER_EXPIRY_SWEEP_MS as number,
    },
  });
}

/**
 * The secret a service presents to the other silos' feeds and asks of their consumers: EVENTS_SECRET, or without it
 * the one generated for its data folder (created on the first start there; see `generatedEventsSecret`).
 */
export function eventsSecretOf(config: Pick<SubgraphConfig, 'events' | 'dataDir'>): string {
  return config.events.secret ?? generatedEventsSecret(config.dataDir);
}

/**
 * The cost of the center's password hashes, as log2 of scrypt's N (r = 8, p = 1): 17 by default, OWASP's minimum,
 * and never less in production. Lower values exist for test suites, which hash and check passwords by the hundred.
 */
export const passwordHashingShape = {
  NODE_ENV: nodeEnv,
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(18).default(17),
} as const;

export const MINIMUM_PRODUCTION_PASSWORD_HASH_COST = 17;

export interface PasswordHashingConfig {
  /** log2 of scrypt's N. */
  cost: number;
}

export function loadPasswordHashingConfig(env: Environment = process.env): Readonly<PasswordHashingConfig> {
  const parsed = parseEnvironment(passwordHashingShape, env);
  if (parsed.NODE_ENV === 'production' && parsed.PASSWORD_HASH_COST < MINIMUM_PRODUCTION_PASSWORD_HASH_COST) {
    throw new ConfigError([`PASSWORD_HASH_COST: at least ${MINIMUM_PRODUCTION_PASSWORD_HASH_COST} in production (lower costs are for test suites)`]);
  }
  return Object.freeze({ cost: parsed.PASSWORD_HASH_COST });
}

/**
 * The time zone the center's analytics count days, weeks and months in: the network's own, so that a trip
 * requested at 23:30 local time belongs to that day. An IANA name such as `America/Chicago`; UTC by default.
 * The KPI sums are kept by day in this zone: after changing it, replay the analytics (`replayAnalytics`) before
 * relying on the figures; sums kept in the old zone and changes counted in the new one do not mix.
 */
export const analyticsShape = {
  ANALYTICS_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone name, e.g. UTC or America/Chicago'),
} as const;

export interface AnalyticsConfig {
  timeZone: string;
}

export function loadAnalyticsConfig(env: Environment = process.env): Readonly<AnalyticsConfig> {
  const parsed = parseEnvironment(analyticsShape, env);
  return Object.freeze({ timeZone: parsed.ANALYTICS_TIME_ZONE });
}
