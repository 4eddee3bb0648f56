import type { JsonColumn } from '@medport/database';
import type { ColumnType, Selectable } from 'kysely';

/** A center feature toggle this silo honours, as the center last announced it (FeatureToggleChanged). */
export interface FeatureTogglesTable {
  name: string;
  is_enabled: boolean;
  /** A `FeatureToggleTarget`: who the feature is on for. */
  target: JsonColumn<string>;
  /** When the center changed it. */
  changed_at: Date;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type FeatureToggleRow = Selectable<FeatureTogglesTable>;
