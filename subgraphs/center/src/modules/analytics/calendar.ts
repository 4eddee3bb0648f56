/**
 * Calendar arithmetic on local dates (`YYYY-MM-DD`). Analytics count a trip on the day it was requested in the
 * network's time zone (ANALYTICS_TIME_ZONE); weeks start on Monday (ISO 8601) and months on the 1st. A local date
 * is computed on once, as midnight UTC of that date, so adding days never meets a daylight-saving shift.
 */

export type LocalDate = string;

export const PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;
export type Period = (typeof PERIODS)[number];

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The date an instant falls on in a time zone. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA writes dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(instant);
}

/** The date as a UTC midnight, or null when the text is not a real calendar date. */
export function parseLocalDate(text: string): Date | null {
  const match = LOCAL_DATE.exec(text);
  if (!match) return null;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // Date.UTC rolls 2026-02-30 over into March; a real date comes back as written.
  return date.toISOString().slice(0, 10) === text ? date : null;
}

const dateOf = (date: LocalDate): Date => parseLocalDate(date)!;
const textOf = (date: Date): LocalDate => date.toISOString().slice(0, 10);

export function addDays(date: LocalDate, days: number): LocalDate {
  return textOf(new Date(dateOf(date).getTime() + days * DAY_MS));
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((dateOf(to).getTime() - dateOf(from).getTime()) / DAY_MS) + 1;
}

/** The first day of the period a date is in. */
export function periodStartOf(date: LocalDate, period: Period): LocalDate {
  if (period === 'DAY') return date;
  const day = dateOf(date);
  if (period === 'WEEK') return addDays(date, -((day.getUTCDay() + 6) % 7));
  return `${date.slice(0, 8)}01`;
}

/** The last day of the period that starts on `start`. */
export function periodEndOf(start: LocalDate, period: Period): LocalDate {
  if (period === 'DAY') return start;
  if (period === 'WEEK') return addDays(start, 6);
  const day = dateOf(start);
  return textOf(new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)));
}

/** The periods that overlap [from, to], in order, each with its start and end as they lie within the range. */
export function periodsWithin(from: LocalDate, to: LocalDate, period: Period): { start: LocalDate; end: LocalDate; from: LocalDate; to: LocalDate }[] {
  const periods = [];
  for (let start = periodStartOf(from, period); start <= to; start = addDays(periodEndOf(start, period), 1)) {
    const end = periodEndOf(start, period);
    periods.push({ start, end, from: start < from ? from : start, to: end > to ? to : end });
  }
  return periods;
}
