import { badInput } from './errors.js';

/** Input checks shared by every subgraph; each throws BAD_USER_INPUT naming the field. */

export function requireText(value: string, field: string, maxLength = 200): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`\`${field}\` must not be empty.`, field);
  if (trimmed.length > maxLength) throw badInput(`\`${field}\` must be at most ${maxLength} characters.`, field);
  return trimmed;
}

export function optionalText(value: string | null | undefined, field: string, maxLength = 2000): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length > maxLength) throw badInput(`\`${field}\` must be at most ${maxLength} characters.`, field);
  return trimmed.length === 0 ? null : trimmed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot exist, and must not reach SQL as a uuid cast error. */
export function isId(value: string): boolean {
  return UUID.test(value);
}

export function requireGeoPoint(point: { latitude: number; longitude: number }, field: string) {
  if (!(point.latitude >= -90 && point.latitude <= 90) || !(point.longitude >= -180 && point.longitude <= 180)) {
    throw badInput(`\`${field}\` must have a latitude within ±90 and a longitude within ±180.`, field);
  }
  return point;
}

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}

export function requireTimeRange(range: TimeRange, field: string): TimeRange {
  if (range.from && range.to && range.from.getTime() > range.to.getTime()) {
    throw badInput(`\`${field}\`: \`from\` must not be after \`to\`.`, field);
  }
  return range;
}

export function requireDistinct<T>(values: readonly T[], field: string): readonly T[] {
  if (new Set(values).size !== values.length) throw badInput(`\`${field}\` must not repeat a value.`, field);
  return values;
}
