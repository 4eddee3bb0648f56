import type { JsonValue } from '@medport/database';
import type { ColumnType, Selectable } from 'kysely';

/** A center setting this silo applies, as the center last announced it (SystemSettingChanged). */
export interface NetworkSettingsTable {
  key: string;
  /** JSON text on write; null when the center withdrew the setting and the silo's default applies. */
  value: ColumnType<JsonValue, string | null, string | null>;
  /** When the center changed it. */
  changed_at: Date;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type NetworkSettingRow = Selectable<NetworkSettingsTable>;
