import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { bearerToken, type TokenVerifier, type VerifiedSession, type Viewer } from '@medport/auth';
import type { EventType } from '@medport/domain';
import type { FeedEvent, LiveEvents } from '@medport/events';
import { EventQueue, QueueOverflow } from '@medport/graphql';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { siloUnavailableFor } from './errors.js';
import type { Logger } from './logger.js';
import { listSizeRefusal, parseWithinLimits, validateWithinLimits } from './query-limits.js';
import { refusedTextOfOperation } from './refused-text.js';

/** WebSocket close codes of MedPort's live connections (4400–4499 belong to the graphql-ws protocol). */
export const CLOSE = {
  /** The token was refused, or expired while the socket was open. */
  forbidden: 4403,
  /** The server is shutting down; reconnect (to another replica). */
  goingAway: 1001,
  /** The subscriber fell too far behind; it may reconnect and read what it missed over HTTP. */
  tryAgainLater: 1013,
} as const;

/**
 * Takes over the socket errors graphql-ws would print to stderr as internal errors, with the whole socket: ws reports
 * a client's oversize message (after closing with 1009) as one, and that is the client's doing, not a fault. Call it
 * after `useServer`, whose connection handler runs first.
 */
export function logSocketErrors(sockets: WebSocketServer, logger: Logger) {
  // graphql-ws handles the server's first error only; a second one (out of file descriptors) would be thrown.
  sockets.on('error', (error) => logger.error({ err: error }, 'live socket server error'));
  sockets.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return logger.info('live connection closed: message too large');
      logger.warn({ err: error }, 'live connection failed');
      socket.close(1011, 'Internal server error');
    });
  });
}

/** One item of a live subscription: the value for its root field and where in the silo's feed it came from. */
export interface LiveDelivery<T> {
  /** `<transaction id>:<position>:<index>`: orders deliveries, so a consumer holding two streams can merge them. */
  cursor: string;
  value: T;
}

/** Events a subscriber may have waiting before it is ended (a subscriber that fell this far behind is too slow). */
export const DEFAULT_MAX_QUEUED_EVENTS = 200;

/**
 * A subscription over this silo's live events: `toValues` turns each event of `types` into what this subscriber
 * receives (none when the event is not for it; it may read the database to decide, with the caller's scope). Events
 * are handled one at a time, in feed order. The returned iterator ends at once when the subscriber leaves.
 */
export async function liveSubscription<T>(
  live: LiveEvents,
  types: readonly EventType[],
  toValues: (event: FeedEvent) => Promise<readonly T[]> | readonly T[],
  maxQueued = DEFAULT_MAX_QUEUED_EVENTS,
): Promise<AsyncIterableIterator<LiveDelivery<T>>> {
  const wanted = new Set<string>(types);
  let unlisten: () => void = () => {};
  const events = new EventQueue<FeedEvent>(maxQueued, () => unlisten());
  unlisten = await live.listen((event) => {
    if (wanted.has(event.type)) events.push(event);
  });
  if (events.closed) unlisten();
  const ready: LiveDelivery<T>[] = [];
  let returned = false;
  const iterator: AsyncIterableIterator<LiveDelivery<T>> = {
    async next() {
      try {
        while (ready.length === 0) {
          const next = await events.next();
          if (next.done) return { value: undefined, done: true };
          const values = await toValues(next.value);
          // The subscriber left while this event was being read: nothing more for it.
          if (returned) return { value: undefined, done: true };
          values.forEach((value, index) => ready.push({ cursor: `${next.value.cursor}:${index}`, value }));
        }
        return { value: ready.shift()!, done: false };
      } catch (error) {
        // A consumer that sees next() throw does not call return(): stop listening here.
        await events.return();
        throw error;
      }
    },
    return: async () => {
      returned = true;
      ready.length = 0;
      await events.return();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

export interface SubgraphSubscriptionOptions<TContext> {
  server: Server;
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  logger: Logger;
  /**
   * A context for one caller; made anew for each event, so its loaders never serve a row read for an earlier one.
   * `operationName` is the subscription's, for the audit trail.
   */
  contextFor: (viewer: Viewer, requestId: string, operationName: string | null) => TContext;
  /** Largest message accepted from a client, in bytes. */
  maxPayloadBytes: number;
  /** The silo this is: a subscription that fails because its database cannot be reached says so, naming it. */
  silo: string;
  /** The subgraph's query limits, as over HTTP (see SUBGRAPH_QUERY_LIMITS). */
  limits: {
    validationRules: readonly ValidationRule[];
    maxTokens: number;
    maxListItems: number;
    hideSuggestions: boolean;
  };
}

/** A live connection whose `connection_init` carried a valid access token. */
export interface LiveSession {
  session: VerifiedSession;
  /** The token as the client sent it. */
  token: string;
  socket: WebSocket;
  expiryTimer: NodeJS.Timeout;
}

/** setTimeout takes at most 2^31-1 ms (24 days); access tokens live minutes, so the cap never shortens one. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The token rules of every live endpoint (the gateway's and the subgraphs'), as graphql-ws `onConnect`/`onClose`:
 * the access token comes in `connection_init` as `{ authorization: "Bearer …" }`; a missing or refused one closes
 * the socket (4403), and the socket closes with 4403 when the token expires.
 */
export function liveSessions(verifier: TokenVerifier) {
  const sessions = new WeakMap<object, LiveSession>();
  return {
    get: (ctx: object): LiveSession | undefined => sessions.get(ctx),
    onConnect: async (ctx: { connectionParams?: Readonly<Record<string, unknown>>; extra: { socket: WebSocket } }): Promise<boolean> => {
      const header = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      try {
        const token = bearerToken(typeof header === 'string' ? header : undefined);
        if (!token) return false;
        const session = await verifier.verifySession(token);
        const socket = ctx.extra.socket;
        // Closed while the token was being checked: no expiry timer for a socket that is gone.
        if (socket.readyState !== socket.OPEN) return false;
        const expiryTimer = setTimeout(
          () => socket.close(CLOSE.forbidden, 'Forbidden: the access token expired'),
          Math.min(Math.max(0, session.expiresAt.getTime() - Date.now()), MAX_TIMER_MS),
        );
        sessions.set(ctx, { session, token, socket, expiryTimer });
        return true;
      } catch {
        return false;
      }
    },
    onClose: (ctx: object) => clearTimeout(sessions.get(ctx)?.expiryTimer),
  };
}

/**
 * graphql-ws at `/graphql` for a subgraph's own subscriptions. Its client is the gateway, which presents the
 * subscriber's access token in `connection_init`: the token is verified here again, and the socket closes (4403)
 * when it expires. Each event is executed with a fresh context, and each result carries the event's feed position
 * in `extensions.cursor`.
 */
export function serveSubgraphSubscriptions<TContext>(options: SubgraphSubscriptionOptions<TContext>) {
  const { logger } = options;
  const sockets = new WebSocketServer({ server: options.server, path: '/graphql', maxPayload: options.maxPayloadBytes });
  const sessions = liveSessions(options.verifier);
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      schema: options.schema,
      onConnect: sessions.onConnect,
      onClose: sessions.onClose,
      // The same query limits and refusal of text no silo can store as over HTTP, with the same codes, before the
      // subscription starts.
      onSubscribe: (_ctx, _id, payload) => {
        const { limits } = options;
        const document = parseWithinLimits(payload.query, limits.maxTokens);
        if (Array.isArray(document)) return document;
        const invalid = validateWithinLimits(options.schema, document, limits);
        if (invalid.length > 0) return invalid;
        const refused = refusedTextOfOperation(document, payload.variables);
        if (refused) return [refused];
        const variables = payload.variables ?? {};
        const operation = getOperationAST(document, payload.operationName);
        const tooManyItems = operation && listSizeRefusal(options.schema, document, operation, variables, limits.maxListItems);
        if (tooManyItems) return [tooManyItems];
        return { schema: options.schema, document, operationName: payload.operationName, variableValues: variables } satisfies ExecutionArgs;
      },
      context: (ctx, _id, payload) => {
        const session = sessions.get(ctx)?.session;
        if (!session) throw new Error('Subscription on a connection without a verified token');
        return options.contextFor(session.viewer, randomUUID(), payload.operationName ?? null) as Record<string, unknown>;
      },
      subscribe: (args) =>
        executeLive(args, options.silo, () => options.contextFor((args.contextValue as { viewer: Viewer }).viewer, randomUUID(), args.operationName ?? null)),
      onError: (_ctx, _id, _payload, errors) => {
        for (const error of errors) if (!error.extensions?.code) logger.warn({ err: error.originalError ?? error }, 'subscription failed');
      },
    },
    sockets,
  );
  logSocketErrors(sockets, logger);
  return {
    /** Closes every subscription socket (1001, going away) and stops accepting new ones. */
    async close() {
      for (const socket of sockets.clients) socket.close(CLOSE.goingAway, 'The service is shutting down');
      await disposable.dispose();
    },
  };
}

/** A result whose errors from a database that cannot be reached say so (SERVICE_UNAVAILABLE naming the silo). */
function withUnavailableDatabase(result: ExecutionResult, silo: string): ExecutionResult {
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map((error) => siloUnavailableFor(error, silo) ?? error) };
}

/**
 * graphql-js `subscribe`, except that each event executes with a context of its own (fresh loaders and audit), and
 * the iterator ends as soon as the subscriber leaves rather than at the next event. A subscription that cannot start,
 * or cannot go on, because the silo's database cannot be reached is told so in a last result and ends: its subscriber
 * subscribes again later, as after any outage.
 */
async function executeLive(
  args: ExecutionArgs,
  silo: string,
  freshContext: () => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return withUnavailableDatabase(stream, silo);
  const source = stream as AsyncIterableIterator<LiveDelivery<unknown>>;
  let ended = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (ended) return { value: undefined, done: true };
      try {
        const next = await source.next();
        if (next.done) return { value: undefined, done: true };
        const result = withUnavailableDatabase(await execute({ ...args, rootValue: next.value, contextValue: freshContext() }), silo);
        return { value: { ...result, extensions: { ...result.extensions, cursor: next.value.cursor } }, done: false };
      } catch (error) {
        if (error instanceof QueueOverflow) {
          return { value: { errors: [new GraphQLError(error.message, { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })] }, done: false };
        }
        const unavailable = siloUnavailableFor(error, silo);
        if (!unavailable) throw error;
        ended = true;
        await source.return?.();
        return { value: { errors: [unavailable] }, done: false };
      }
    },
    return: async () => {
      ended = true;
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
