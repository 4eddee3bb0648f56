import type { JsonColumn } from '@medport/database';
import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * The key pairs access tokens are signed with. The newest key that is not retired signs; a retired key stays
 * published until every token it signed has expired, so a rotation never signs anyone out.
 */
export interface SigningKeysTable {
  /** The `kid` that tokens name in their header and the JWKS lists. */
  kid: string;
  /** Private JWK (ES256). Only the center reads it, to sign; it never leaves this table. */
  private_jwk: JsonColumn<string>;
  /** Public JWK, as published at /.well-known/jwks.json. */
  public_jwk: JsonColumn<string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  /** When the key stopped signing; null while it is active. */
  retired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/**
 * One refresh token each. Only a SHA-256 hash is kept: a copy of this table (a backup, a replica) gives nobody
 * a token that works. Every token descends from one sign-in, its family; reuse of a spent one ends the family.
 */
export interface RefreshTokensTable {
  id: string;
  /** The sign-in this token descends from; rotation keeps it, logout and reuse revoke all of it. */
  family_id: string;
  user_id: string;
  /** Hex SHA-256 of the token. */
  token_hash: string;
  expires_at: Date;
  /** When the token was exchanged for its successor; presenting it again after that is reuse. */
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type SigningKeyRow = Selectable<SigningKeysTable>;
export type NewSigningKeyRow = Insertable<SigningKeysTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type NewRefreshTokenRow = Insertable<RefreshTokensTable>;

/**
 * One failed sign-in each (see sign-in-throttle.ts), counted per email and per email and client to throttle password
 * guessing. The email is kept only as a SHA-256 hash of its normalised form: the table tells nobody which addresses
 * were tried (an "email" typed into the wrong box is often a password). Rows older than the window are deleted as
 * they are counted.
 */
export interface SignInAttemptsTable {
  id: string;
  /** Hex SHA-256 of the trimmed, lower-cased email that was typed, whether or not an account has it. */
  email_hash: string;
  /**
   * Hex SHA-256 of the client's key (its IPv4 address, or its IPv6 /64; see `clientKeyOf`). That keeps the address
   * out of sight, not secret: there are few enough IPv4 addresses to hash them all. Null on rows written before
   * attempts were counted per client.
   */
  client_hash: string | null;
  attempted_at: ColumnType<Date, Date | undefined, Date>;
}

export type NewSignInAttemptRow = Insertable<SignInAttemptsTable>;
