import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, localDateOf, parseLocalDate, periodEndOf, periodStartOf, periodsWithin } from '../src/modules/analytics/calendar.js';

const NEW_YORK = 'America/New_York';
const at = (instant: string) => new Date(instant);

describe('localDateOf', () => {
  it('gives the date an instant falls on in the time zone, not in UTC', () => {
    expect(localDateOf(at('2031-03-01T04:30:00Z'), NEW_YORK)).toBe('2031-02-28');
    expect(localDateOf(at('2031-03-01T05:30:00Z'), NEW_YORK)).toBe('2031-03-01');
    expect(localDateOf(at('2031-03-01T04:30:00Z'), 'UTC')).toBe('2031-03-01');
    expect(localDateOf(at('2031-03-01T23:30:00Z'), 'Asia/Tokyo')).toBe('2031-03-02');
  });

  it('follows the shorter day daylight saving time starts on', () => {
    // 2031-03-09 in New York runs from 05:00 UTC (EST) to 04:00 UTC the next day (EDT): 23 hours.
    expect(localDateOf(at('2031-03-09T04:59:00Z'), NEW_YORK)).toBe('2031-03-08');
    expect(localDateOf(at('2031-03-09T05:00:00Z'), NEW_YORK)).toBe('2031-03-09');
    expect(localDateOf(at('2031-03-10T03:59:00Z'), NEW_YORK)).toBe('2031-03-09');
    expect(localDateOf(at('2031-03-10T04:00:00Z'), NEW_YORK)).toBe('2031-03-10');
  });

  it('follows the longer day daylight saving time ends on', () => {
    // 2031-11-02 in New York runs from 04:00 UTC (EDT) to 05:00 UTC the next day (EST): 25 hours.
    expect(localDateOf(at('2031-11-02T03:59:00Z'), NEW_YORK)).toBe('2031-11-01');
    expect(localDateOf(at('2031-11-02T04:00:00Z'), NEW_YORK)).toBe('2031-11-02');
    expect(localDateOf(at('2031-11-03T04:59:00Z'), NEW_YORK)).toBe('2031-11-02');
    expect(localDateOf(at('2031-11-03T05:00:00Z'), NEW_YORK)).toBe('2031-11-03');
  });
});

describe('parseLocalDate', () => {
  it('takes a real calendar date written YYYY-MM-DD, leap days of leap years included', () => {
    expect(parseLocalDate('2031-03-01')).toEqual(at('2031-03-01T00:00:00Z'));
    expect(parseLocalDate('2032-02-29')).toEqual(at('2032-02-29T00:00:00Z'));
  });

  it('refuses dates the calendar lacks and text that is no date', () => {
    for (const text of ['2031-02-29', '2031-02-30', '2031-04-31', '2031-13-01', '2031-00-10', '2031-1-5', 'yesterday', '2031-03-01T00:00:00Z', '']) {
      expect(parseLocalDate(text), text).toBeNull();
    }
  });
});

describe('day arithmetic', () => {
  it('adds days across daylight saving shifts, month ends and leap days', () => {
    expect(addDays('2031-03-08', 1)).toBe('2031-03-09');
    expect(addDays('2031-03-09', 1)).toBe('2031-03-10');
    expect(addDays('2031-11-02', 1)).toBe('2031-11-03');
    expect(addDays('2031-02-28', 1)).toBe('2031-03-01');
    expect(addDays('2032-02-28', 1)).toBe('2032-02-29');
    expect(addDays('2032-03-01', -1)).toBe('2032-02-29');
    expect(addDays('2031-12-31', 1)).toBe('2032-01-01');
  });

  it('counts the days of a range, both ends included', () => {
    expect(daysBetween('2031-03-01', '2031-03-01')).toBe(1);
    expect(daysBetween('2031-03-01', '2031-03-31')).toBe(31);
    expect(daysBetween('2031-11-01', '2031-11-30')).toBe(30);
    expect(daysBetween('2032-02-01', '2032-02-29')).toBe(29);
    expect(daysBetween('2031-01-01', '2031-12-31')).toBe(365);
    expect(daysBetween('2032-01-01', '2032-12-31')).toBe(366);
  });
});

describe('periods', () => {
  it('starts a week on the Monday on or before the date', () => {
    expect(periodStartOf('2031-03-02', 'WEEK')).toBe('2031-02-24'); // a Sunday
    expect(periodStartOf('2031-03-03', 'WEEK')).toBe('2031-03-03'); // a Monday
    expect(periodStartOf('2032-01-01', 'WEEK')).toBe('2031-12-29'); // a Thursday, in a week that began the year before
    expect(periodStartOf('2032-02-29', 'WEEK')).toBe('2032-02-23');
    expect(periodEndOf('2031-12-29', 'WEEK')).toBe('2032-01-04');
  });

  it('starts a month on the 1st and ends it on its last day, February of leap years on the 29th', () => {
    expect(periodStartOf('2032-02-29', 'MONTH')).toBe('2032-02-01');
    expect(periodEndOf('2032-02-01', 'MONTH')).toBe('2032-02-29');
    expect(periodEndOf('2031-02-01', 'MONTH')).toBe('2031-02-28');
    expect(periodEndOf('2031-12-01', 'MONTH')).toBe('2031-12-31');
    expect(periodStartOf('2031-03-09', 'DAY')).toBe('2031-03-09');
    expect(periodEndOf('2031-03-09', 'DAY')).toBe('2031-03-09');
  });

  it('lists the periods that overlap a range, those at its ends cut to it', () => {
    expect(periodsWithin('2031-02-15', '2031-04-10', 'MONTH')).toEqual([
      { start: '2031-02-01', end: '2031-02-28', from: '2031-02-15', to: '2031-02-28' },
      { start: '2031-03-01', end: '2031-03-31', from: '2031-03-01', to: '2031-03-31' },
      { start: '2031-04-01', end: '2031-04-30', from: '2031-04-01', to: '2031-04-10' },
    ]);
    expect(periodsWithin('2031-12-31', '2032-01-05', 'WEEK')).toEqual([
      { start: '2031-12-29', end: '2032-01-04', from: '2031-12-31', to: '2032-01-04' },
      { start: '2032-01-05', end: '2032-01-11', from: '2032-01-05', to: '2032-01-05' },
    ]);
    expect(periodsWithin('2032-02-28', '2032-03-01', 'DAY').map((period) => period.start)).toEqual(['2032-02-28', '2032-02-29', '2032-03-01']);
    expect(periodsWithin('2031-03-08', '2031-03-10', 'DAY')).toHaveLength(3);
    expect(periodsWithin('2031-07-15', '2031-07-15', 'MONTH')).toEqual([{ start: '2031-07-01', end: '2031-07-31', from: '2031-07-15', to: '2031-07-15' }]);
  });
});
