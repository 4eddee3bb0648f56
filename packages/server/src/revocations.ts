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
  session_id: string | null;
  revoked_at: Date;
}

interface RevocationsDatabase {
  revoked_access: RevokedAccessTable;
}

export async function createRevokedAccessTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_access')
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('session_id', 'uuid')
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
 * The revocations of the last hour, in memory, so that checking a token costs no query: read at start, again on
 * every NOTIFY of `REVOCATIONS_CHANNEL`, and every few seconds in case a notification was missed.
 */
export class RevocationList {
  private accountsRevokedUpTo = new Map<string, number>();
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

  /** Whether a token was revoked: its session ended, or its account's tokens issued up to a time were. */
  isRevoked = (token: RevocableToken): boolean => {
    if (token.sessionId !== null && this.sessions.has(token.sessionId.toLowerCase())) return true;
    const upTo = this.accountsRevokedUpTo.get(token.userId.toLowerCase());
    return upTo !== undefined && token.issuedAt <= upTo;
  };

  private read(): Promise<void> {
    return (this.reading ??= this.inBackground(async () => {
      try {
        const db = this.database.db as unknown as Kysely<RevocationsDatabase>;
        const rows = await db
          .selectFrom('revoked_access')
          .select(['user_id', 'session_id', 'revoked_at'])
          .where('revoked_at', '>', sql<Date>`now() - make_interval(secs => ${REMEMBERED_FOR_SECONDS})`)
          .modifyEnd(label('listRecentRevocations'))
          .execute();
        const accounts = new Map<string, number>();
        const sessions = new Set<string>();
        for (const row of rows) {
          if (row.session_id) sessions.add(row.session_id.toLowerCase());
          else {
            const account = row.user_id.toLowerCase();
            accounts.set(account, Math.max(accounts.get(account) ?? 0, Math.floor(new Date(row.revoked_at).getTime() / 1000)));
          }
        }
        this.accountsRevokedUpTo = accounts;
        this.sessions = sessions;
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
