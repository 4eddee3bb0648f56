import type { ColumnType } from 'kysely';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A jsonb column. Both drivers parse it on read. Writes send JSON text: pg would turn a JS array into a
 * PostgreSQL array literal, and PGlite passes text through unchanged, so text is the one form both agree on.
 */
export type JsonColumn<Insert = string | undefined> = ColumnType<JsonValue, Insert, string>;

export const jsonText = (value: JsonValue): string => JSON.stringify(value);
