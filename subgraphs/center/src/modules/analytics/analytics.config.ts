import { loadAnalyticsConfig } from '@medport/config';

let timeZone: string | undefined;

/** The network's time zone for day buckets (ANALYTICS_TIME_ZONE), read from the environment once. */
export function analyticsTimeZone(): string {
  timeZone ??= loadAnalyticsConfig().timeZone;
  return timeZone;
}
