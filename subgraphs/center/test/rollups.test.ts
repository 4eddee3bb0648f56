import { describe, expect, it } from 'vitest';
import { countOnTime, countWithin, DURATION_BIN_EDGES, durationBinOf, percentilesOf, pickupDeviationBinOf } from '../src/modules/analytics/rollups.js';

const MINUTE = 60_000;
/** A histogram with one duration in the bin of each of `durations` (milliseconds). */
const histogramOf = (binOf: (ms: number) => number, ...durations: number[]) => {
  const histogram: number[] = [];
  for (const duration of durations) histogram[binOf(duration)] = (histogram[binOf(duration)] ?? 0) + 1;
  return Array.from(histogram, (count) => count ?? 0);
};

describe('duration bins', () => {
  it('put a duration in the first bin whose upper edge holds it: minutes to 2 h, 5 minutes to 6 h, 30 minutes to 24 h', () => {
    const edgeOf = (ms: number) => DURATION_BIN_EDGES[durationBinOf(ms)];
    expect([0, 30_000, MINUTE, MINUTE + 1, 120 * MINUTE].map(edgeOf)).toEqual([1, 1, 1, 2, 120]);
    expect([120 * MINUTE + 1, 125 * MINUTE, 361 * MINUTE, 1440 * MINUTE].map(edgeOf)).toEqual([125, 125, 390, 1440]);
    expect(durationBinOf(1441 * MINUTE)).toBe(DURATION_BIN_EDGES.length);
    expect(durationBinOf(-5 * MINUTE)).toBe(0);
  });

  it('count a target between coarse bins conservatively, and exactly on an edge', () => {
    const histogram = histogramOf(durationBinOf, 121 * MINUTE, 124 * MINUTE, 130 * MINUTE);
    expect(countWithin(histogram, 125)).toBe(2);
    expect(countWithin(histogram, 124)).toBe(0);
    expect(countWithin(histogram, 130)).toBe(3);
  });

  it('report percentiles over the overflow bin as 24 hours', () => {
    expect(percentilesOf(histogramOf(durationBinOf, 2 * 1440 * MINUTE))).toEqual({ p50: 1440, p90: 1440, count: 1 });
  });
});

describe('pickup deviation bins', () => {
  it('count started minutes early and late alike, so a 15-minute window holds 15:00 and not 15:20 either way', () => {
    const histogram = histogramOf(pickupDeviationBinOf, 15 * MINUTE, -15 * MINUTE, 15 * MINUTE + 20_000, -15 * MINUTE - 20_000, 0);
    expect(countOnTime(histogram, 15)).toBe(3);
    expect(countOnTime(histogram, 16)).toBe(5);
    expect(countOnTime(histogram, 0)).toBe(1);
  });

  it('put pickups beyond the widest window in the outermost bins, outside every window', () => {
    const histogram = histogramOf(pickupDeviationBinOf, 600 * MINUTE, -600 * MINUTE, 240 * MINUTE);
    expect(countOnTime(histogram, 240)).toBe(1);
  });
});
