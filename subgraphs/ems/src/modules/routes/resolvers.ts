import type { RouteRow } from './routes.table.js';

export const routeResolvers = {
  Route: {
    routeType: (route: RouteRow) => route.route_type,
    // Only the coordinates: the stored document may carry more than a GeoPoint has.
    waypoints: (route: RouteRow) => route.waypoints.map(({ latitude, longitude }) => ({ latitude, longitude })),
    distanceKm: (route: RouteRow) => route.distance_km,
    estimatedMinutes: (route: RouteRow) => route.estimated_minutes,
  },
};
