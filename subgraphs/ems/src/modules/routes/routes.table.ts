import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface Waypoint {
  latitude: number;
  longitude: number;
}

/** A route an agency drives regularly (a transfer corridor, a return to base), with its planned distance and time. */
export interface RoutesTable {
  id: string;
  agency_id: string;
  name: string;
  /** Free text chosen by the agency, e.g. 'TRANSFER_CORRIDOR' or 'RETURN_TO_BASE'. */
  route_type: string;
  // Written as JSON text: the pg driver would turn a JS array into a PostgreSQL array literal.
  waypoints: ColumnType<Waypoint[], string, string>;
  distance_km: number;
  estimated_minutes: number;
  status: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type RouteRow = Selectable<RoutesTable>;
export type NewRouteRow = Insertable<RoutesTable>;
