import type { RevocableToken } from '@medport/auth';
import { label, type DatabaseHandle } from '@medport/database';
import type { EventContracts } from '@medport/domain';
import { sql, type Kysely, type Transaction } from 'kysely';

/** Replicas of a silo hear of a revocation its consumer (or, in the center, its own change) just committed. */
export const REVOCATIONS_CHANNEL = 'medport_access_revoked';

/**
 * Revocations matter while the tokens they end could still be valid: access tokens live 15 minutes and clocks may
 * drift 30 seconds; an hour keeps a wide margin and the list small.
 */
const REMEMBERED_FOR_SECONDS = 3_600;
/** NOTIFY is not guaranteed (a listener reconnecting misses it): the list is read again this often regardless. */
const REREAD_EVERY_MS = 5_000;

interface RevokedAccessTable {
  user_id: string;
  session_id: string;
  revoked_at: Date;
}

interface RevocationsDatabase {
  revoked_access: RevokedAccessTable;
}

export async function createRevokedAccessTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_access')
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('session_id', 'uuid', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('revoked_access_time_idx').on('revoked_access').column('revoked_at').execute();
}

export async function dropRevokedAccessTable(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revoked_access').execute();
}

/**
 * Records a revocation in this silo, in the caller's transaction (the center's change, or the consumer applying the
 * center's AccessRevoked), and wakes every replica's list once it commits.
 */
export async function recordRevocation(anyTrx: Transaction<any>, revocation: EventContracts['AccessRevoked']): Promise<void> {
  const trx = anyTrx as Transaction<RevocationsDatabase>;
  await trx
    .insertInto('revoked_access')
    .values({ user_id: revocation.userId, session_id: revocation.sessionId, revoked_at: new Date(revocation.revokedAt) })
    .modifyEnd(label('recordRevocation'))
    .execute();
  await sql`select pg_notify(${REVOCATIONS_CHANNEL}, '')`.execute(trx);
}

/**
 * The sessions revoked in the last hour, in memory, so that checking a token costs no query: read at start, again
 * on every NOTIFY of `REVOCATIONS_CHANNEL`, and every few seconds in case a notification was missed. A session, not
 * a time: an account deactivated and reactivated within one second signs in again with a new session that works.
 */
export class RevocationList {
  private sessions = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | null = null;
  private stopListening: (() => Promise<void>) | undefined;

  constructor(
    private readonly database: DatabaseHandle<unknown>,
    /** Runs the reads outside any request (statement observers skip them). */
    private readonly inBackground: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  async start(): Promise<void> {
    await this.read();
    this.stopListening = await this.database.listen(REVOCATIONS_CHANNEL, () => void this.read().catch(() => {}));
    const tick = () => {
      this.timer = setTimeout(() => void this.read().catch(() => {}).finally(() => this.timer && tick()), REREAD_EVERY_MS);
    };
    tick();
  }

  /** Whether a token's session was revoked. */
  isRevoked = (token: RevocableToken): boolean => token.sessionId !== null && this.sessions.has(token.sessionId.toLowerCase());

  private read(): Promise<void> {
    return (this.reading ??= this.inBackground(async () => {
      try {
        const db = this.database.db as unknown as Kysely<RevocationsDatabase>;
        const rows = await db
          .selectFrom('revoked_access')
          .select('session_id')
          .where('revoked_at', '>', sql<Date>`now() - make_interval(secs => ${REMEMBERED_FOR_SECONDS})`)
          .modifyEnd(label('listRecentRevocations'))
          .execute();
        this.sessions = new Set(rows.map((row) => row.session_id.toLowerCase()));
      } finally {
        this.reading = null;
      }
    }));
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    await this.stopListening?.();
    await this.reading?.catch(() => {});
  }
}
