import type { IncomingMessage, ServerResponse } from 'node:http';
import { JWKS_PATH, type KeyStore, type StoredKeys } from '@medport/auth';
import { jsonText, label, type JsonColumn } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/**
 * The center's public keys as a silo last read them. One row: the copy is replaced whole, and only by a newer read,
 * so replicas writing at once never move it backwards.
 */
interface TrustedSigningKeysTable {
  id: number;
  jwks: JsonColumn;
  read_at: Date;
}

interface TrustedKeysDatabase {
  trusted_signing_keys: TrustedSigningKeysTable;
}

/** Creates a silo's trusted_signing_keys table (each silo but the center, which holds the keys themselves). */
export async function createTrustedSigningKeysTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('trusted_signing_keys')
    .addColumn('id', 'smallint', (col) => col.primaryKey().defaultTo(1).check(sql`id = 1`))
    .addColumn('jwks', 'jsonb', (col) => col.notNull())
    .addColumn('read_at', 'timestamptz', (col) => col.notNull())
    .execute();
}

export async function dropTrustedSigningKeysTable(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('trusted_signing_keys').execute();
}

/** The durable copy of the center's keys in a silo's own database, shared by all its replicas. */
export function databaseKeyStore<DB>(anyDb: Kysely<DB>): KeyStore {
  const db = anyDb as unknown as Kysely<TrustedKeysDatabase>;
  return {
    async load() {
      const row = await db.selectFrom('trusted_signing_keys').select(['jwks', 'read_at']).modifyEnd(label('loadTrustedSigningKeys')).executeTakeFirst();
      return row ? { jwks: row.jwks as unknown as StoredKeys['jwks'], readAt: new Date(row.read_at) } : null;
    },
    async save(keys: StoredKeys) {
      await db
        .insertInto('trusted_signing_keys')
        .values({ id: 1, jwks: jsonText(keys.jwks as never), read_at: keys.readAt })
        .onConflict((conflict) =>
          conflict
            .column('id')
            .doUpdateSet((eb) => ({ jwks: eb.ref('excluded.jwks'), read_at: eb.ref('excluded.read_at') }))
            .where('trusted_signing_keys.read_at', '<', (eb) => eb.ref('excluded.read_at')),
        )
        .modifyEnd(label('saveTrustedSigningKeys'))
        .execute();
    },
  };
}

/**
 * `GET /.well-known/jwks.json` of a silo that verifies with the center's keys: its copy of them, with when it read
 * them from the center (`read_at`). A gateway that starts while the center is down learns the keys here, and
 * trusts them no longer than it would have trusted them itself.
 */
export function trustedKeysRoute(store: KeyStore) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== JWKS_PATH) return false;
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return true;
    }
    const keys = await store.load();
    if (!keys) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'This silo has not read the signing keys yet.' }));
      return true;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ keys: keys.jwks.keys, read_at: keys.readAt.toISOString() }));
    return true;
  };
}
