import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext, GraphQLRequest } from '@apollo/server';
import type { Viewer } from '@medport/auth';
import { jsonText, label, type JsonColumn } from '@medport/database';
import type { ErrorCode } from '@medport/graphql';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import { sql, type ControlledTransaction, type Generated, type Kysely, type Transaction } from 'kysely';

/**
 * The header a client sets on a mutation it may send again (after a timeout, a lost response, a restart): the same
 * key from the same account returns the first outcome and changes nothing. The gateway passes it to the subgraphs.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Outcomes are kept a day: long enough for any client's retries, short enough that the table stays small. */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 24;

// A key is the client's own token (a UUID, typically): printable ASCII, bounded, so it never needs escaping.
const KEY_SHAPE = /^[\x21-\x7e]{1,200}$/;

/** Outcomes that say nothing was decided: the same request sent again must run again. */
const TRANSIENT_CODES: ReadonlySet<unknown> = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', undefined]);

interface IdempotentRequestsTable {
  caller_id: string;
  key: string;
  /**
   * What the request asked (its document, operation and variables). Part of the identity: the gateway may send
   * one client operation to a silo as several mutations, each under the client's key.
   */
  request_hash: string;
  /** The first outcome, as it was sent. */
  response: JsonColumn;
  created_at: Generated<Date>;
}

interface IdempotencyDatabase {
  idempotent_requests: IdempotentRequestsTable;
}

export async function createIdempotentRequestsTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotent_requests')
    .addColumn('caller_id', 'uuid', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('request_hash', 'text', (col) => col.notNull())
    .addColumn('response', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotent_requests_pkey', ['caller_id', 'key', 'request_hash'])
    .execute();
  await db.schema.createIndex('idempotent_requests_created_idx').on('idempotent_requests').column('created_at').execute();
}

export async function dropIdempotentRequestsTable(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotent_requests').execute();
}

/** Forgets outcomes older than the retention; returns how many. */
export async function forgetOldIdempotentRequests(anyDb: Kysely<unknown>): Promise<number> {
  const db = anyDb as unknown as Kysely<IdempotencyDatabase>;
  const result = await db
    .deleteFrom('idempotent_requests')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_RETENTION_HOURS})`)
    .modifyEnd(label('forgetOldIdempotentRequests'))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

function badKey(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, field: IDEMPOTENCY_KEY_HEADER } });
}

/**
 * The request's idempotency key; null without one, BAD_USER_INPUT for one of another shape (two headers arrive
 * joined by ", ", which no key may contain).
 */
function idempotencyKeyOf(request: GraphQLRequest): string | null {
  const key = request.http?.headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return null;
  if (!KEY_SHAPE.test(key)) throw badKey('The Idempotency-Key header must be one key of 1 to 200 printable ASCII characters (a UUID, say).');
  return key;
}

const requestHashOf = (request: GraphQLRequest) =>
  createHash('sha256')
    .update(JSON.stringify([request.query ?? '', request.operationName ?? null, request.variables ?? {}]))
    .digest('hex');

export interface IdempotentContext extends BaseContext {
  viewer: Viewer | null;
}

export interface IdempotentMutationsOptions<TContext, DB> {
  db: Kysely<DB>;
  silo: string;
  /** Makes the request's context write through `trx` (its database, loaders and audit writer). */
  bindTo: (context: TContext, trx: Transaction<DB>) => void;
}

/**
 * Runs a mutation sent with an Idempotency-Key once per caller and key. The key's row is inserted first, in one
 * transaction with everything the mutation writes and with the outcome it answers, so:
 * - a retry after the answer was lost finds the committed row and gets the first outcome, nothing runs again;
 * - two copies sent at once queue on the row's primary key: the second waits for the first to commit, then
 *   returns its outcome;
 * - a process that dies before its commit leaves neither the change nor the key, and the retry runs afresh;
 * - an outcome that decided nothing (the database unavailable, a bug) is rolled back with the key, so a retry runs.
 * A key names one request: sent with another one (other variables, another mutation), it is that request's key.
 */
export function idempotentMutationsPlugin<TContext extends IdempotentContext, DB>(options: IdempotentMutationsOptions<TContext, DB>): ApolloServerPlugin<TContext> {
  // Every silo's database has the table (its migrations create it); this module sees only that table.
  const db = options.db as unknown as Kysely<IdempotencyDatabase>;
  return {
    async requestDidStart() {
      let open: { trx: ControlledTransaction<IdempotencyDatabase>; callerId: string; key: string; requestHash: string } | null = null;
      return {
        async responseForOperation({ operation, request, contextValue, response }) {
          const viewer = contextValue.viewer;
          if (operation.operation !== 'mutation' || !viewer) return null;
          let key: string | null;
          try {
            key = idempotencyKeyOf(request);
          } catch (error) {
            // Apollo treats an error thrown here as a failure of the server; this one is the client's.
            const refusal = error as GraphQLError;
            response.http.status = 400;
            return { http: response.http, body: { kind: 'single', singleResult: { errors: [refusal.toJSON()] } } };
          }
          if (key === null) return null;
          const requestHash = requestHashOf(request);
          const trx = await db.startTransaction().execute();
          try {
            const claimed = await trx
              .insertInto('idempotent_requests')
              .values({ caller_id: viewer.userId, key, request_hash: requestHash })
              .onConflict((conflict) => conflict.columns(['caller_id', 'key', 'request_hash']).doNothing())
              .returning('key')
              .modifyEnd(label('claimIdempotencyKey'))
              .executeTakeFirst();
            if (claimed) {
              open = { trx, callerId: viewer.userId, key, requestHash };
              options.bindTo(contextValue, trx as unknown as Transaction<DB>);
              return null;
            }
            await trx.rollback().execute();
          } catch (error) {
            await trx.rollback().execute().catch(() => {});
            throw error;
          }
          const first = await db
            .selectFrom('idempotent_requests')
            .select('response')
            .where('caller_id', '=', viewer.userId)
            .where('key', '=', key)
            .where('request_hash', '=', requestHash)
            .modifyEnd(label('findIdempotentOutcome'))
            .executeTakeFirstOrThrow();
          response.http.headers.set('idempotent-replayed', 'true');
          return { http: response.http, body: { kind: 'single', singleResult: first.response as FormattedExecutionResult } };
        },
        async willSendResponse({ response }) {
          if (!open) return;
          const { trx, callerId, key, requestHash } = open;
          open = null;
          const result = response.body.kind === 'single' ? response.body.singleResult : null;
          const decided = result !== null && (result.errors ?? []).every((error) => !TRANSIENT_CODES.has(error.extensions?.code));
          if (!decided) {
            await trx.rollback().execute();
            return;
          }
          try {
            await trx
              .updateTable('idempotent_requests')
              .set({ response: jsonText(result as never) })
              .where('caller_id', '=', callerId)
              .where('key', '=', key)
              .where('request_hash', '=', requestHash)
              .modifyEnd(label('storeIdempotentOutcome'))
              .execute();
            await trx.commit().execute();
          } catch {
            await trx.rollback().execute().catch(() => {});
            // Nothing was stored: the client must learn that the change did not happen, and may send it again.
            response.body = {
              kind: 'single',
              singleResult: {
                errors: [
                  {
                    message: `The ${options.silo} service could not store this change; send it again with the same Idempotency-Key.`,
                    extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: options.silo },
                  },
                ],
              },
            };
          }
        },
      };
    },
  };
}
