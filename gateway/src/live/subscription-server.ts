import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { TokenVerifier, VerifiedSession } from '@medport/auth';
import type { ErrorCode } from '@medport/graphql';
import {
  CLOSE,
  listSizeRefusal,
  liveSessions,
  logSocketErrors,
  parseWithinLimits,
  refusedTextOfOperation,
  validateWithinLimits,
  type LiveSession,
  type Logger,
} from '@medport/server';
import { getOperationAST, GraphQLError, type ExecutionArgs, type ValidationRule } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { selectsPatientData } from '../subgraph-sharing.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';
import type { SubscriptionPlan, SubscriptionPlanner } from './subscription-plans.js';

export interface SubscriptionLimits {
  /** Subscriptions one connection may hold at once. */
  maxPerConnection: number;
  /** Largest message a client may send, in bytes; a larger one closes the socket (1009). */
  maxMessageBytes: number;
  /** How long a client has to send `connection_init` before the socket closes (4408). */
  initTimeoutMs: number;
  /** The same query limits as HTTP. */
  maxTokens: number;
  maxListItems: number;
}

export interface SubscriptionServerOptions {
  server: Server;
  planner: SubscriptionPlanner;
  shared: SharedSubscriptions;
  verifier: TokenVerifier;
  /** The HTTP endpoint's validation rules (depth, aliases, cost, directives…), applied here too. */
  validationRules: readonly ValidationRule[];
  limits: SubscriptionLimits;
  /** Hide "Did you mean …" from validation errors (production, where the schema is not published). */
  hideSuggestions: boolean;
  logger: Logger;
}

interface SubscriptionContext {
  connection: LiveSession;
  plan: SubscriptionPlan;
  groupKey: string;
}

const refusal = (message: string, code: ErrorCode) => [new GraphQLError(message, { extensions: { code } })];


/**
 * graphql-ws at the gateway's `/graphql`: the access token comes in `connection_init` (`{ authorization: "Bearer …" }`)
 * and is checked there (4403 when refused, 4408 when no init comes); the socket closes with 4403 when the token
 * expires. Subscriptions only (queries and mutations go over HTTP), validated with the same rules and limits as
 * HTTP, at most `maxPerConnection` at once. Each one is planned across the silos and joins the shared upstream of
 * its operation and scope.
 */
export function serveGatewaySubscriptions(options: SubscriptionServerOptions) {
  const { planner, shared, limits, logger } = options;
  const sockets = new WebSocketServer({ server: options.server, path: '/graphql', maxPayload: limits.maxMessageBytes });
  const sessions = liveSessions(options.verifier);

  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: limits.initTimeoutMs,
      onConnect: sessions.onConnect,
      onClose: sessions.onClose,
      onSubscribe: (ctx, id, payload) => {
        const connection = sessions.get(ctx);
        if (!connection) return refusal('The connection is not initialised.', 'UNAUTHENTICATED');
        // graphql-ws registers this subscription's id before asking: only the others count against the cap.
        if (Object.keys(ctx.subscriptions).filter((other) => other !== id).length >= limits.maxPerConnection) {
          return refusal(`A connection may hold at most ${limits.maxPerConnection} subscriptions; open another connection or end one.`, 'TOO_MANY_SUBSCRIPTIONS');
        }
        const document = parseWithinLimits(payload.query, limits.maxTokens);
        if (Array.isArray(document)) return document;
        const errors = validateWithinLimits(planner.schema, document, { validationRules: options.validationRules, hideSuggestions: options.hideSuggestions });
        if (errors.length > 0) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return refusal('The document must contain one operation, or name the one to run.', 'BAD_REQUEST');
        if (operation.operation !== 'subscription') {
          return refusal('Only subscriptions are served over WebSocket; send queries and mutations with HTTP POST /graphql.', 'BAD_REQUEST');
        }
        const refusedText = refusedTextOfOperation(document, payload.variables);
        if (refusedText) return [refusedText];
        const coerced = getVariableValues(planner.schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) return coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT'));
        const tooManyItems = listSizeRefusal(planner.schema, document, operation, coerced.coerced, limits.maxListItems);
        if (tooManyItems) return [tooManyItems];
        const operationName = payload.operationName ?? operation.name?.value ?? null;
        let plan: SubscriptionPlan;
        try {
          plan = planner.plan(document, operationName);
        } catch (error) {
          logger.warn({ err: error }, 'a subscription could not be planned');
          return refusal('The subscription could not be planned across the services.', 'GRAPHQL_VALIDATION_FAILED');
        }
        const context: SubscriptionContext = {
          connection,
          plan,
          groupKey: groupKeyOf(planner, plan, coerced.coerced, connection.session),
        };
        return {
          schema: planner.schema,
          document,
          operationName,
          variableValues: coerced.coerced,
          contextValue: context,
        } satisfies ExecutionArgs;
      },
      subscribe: (args) => {
        const { connection, plan, groupKey } = args.contextValue as SubscriptionContext;
        return shared.join(groupKey, plan, (args.variableValues ?? {}) as Record<string, unknown>, {
          session: connection.session,
          token: connection.token,
          dropAsTooSlow: () => {
            logger.warn({ user: connection.session.viewer.userId }, 'subscriber too slow; connection closed');
            connection.socket.close(CLOSE.tryAgainLater, 'Subscriber too slow: too many events waiting to be sent');
          },
        });
      },
    },
    sockets,
  );
  logSocketErrors(sockets, logger);

  return {
    /** Open client connections. */
    get connections() {
      return sockets.clients.size;
    },
    /** Tells every client the gateway is going away (1001), so apps reconnect to another one, then stops. */
    async close() {
      for (const socket of sockets.clients) socket.close(CLOSE.goingAway, 'The gateway is shutting down');
      shared.close();
      await disposable.dispose();
    },
  };
}

function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/**
 * Subscribers share an upstream when they run the same operation with the same variables and would be answered
 * the same: same role and tenant. An operation that selects patient data shares with nobody, not even with the
 * same person's other connections: each delivery of patient data must leave its own audit row, and rows are written
 * by the silos, which see one upstream and execute each event once for it. A subscription of its own per connection
 * is what makes every delivery a read the silo executes and records; the gateway has no trail to record a fan-out in.
 */
function groupKeyOf(planner: SubscriptionPlanner, plan: SubscriptionPlan, variables: Record<string, unknown>, session: VerifiedSession): string {
  // A key no other subscriber has: a group, and an upstream, of its own.
  if (selectsPatientData(planner.schema, plan.document)) return `unshared:${randomUUID()}`;
  const { viewer } = session;
  const scope = [viewer.role, viewer.hospitalId ?? '', viewer.agencyId ?? ''];
  return JSON.stringify([plan.query, plan.operationName, variables, scope]);
}
