import { describe, expect, it } from 'vitest';
import { allowedTransitions, canTransition, enumValues, isCancellable, lifecycleRank, TransportStatusEnum } from '../src/index.js';

describe('trip lifecycle', () => {
  it('moves forward one step at a time along the documented path', () => {
    const path = ['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'] as const;
    for (let index = 0; index < path.length - 1; index++) {
      expect(canTransition(path[index]!, path[index + 1]!)).toBe(true);
      expect(canTransition(path[index + 1]!, path[index]!)).toBe(false);
    }
    expect(canTransition('REQUESTED', 'ASSIGNED')).toBe(false);
  });

  it('lets nothing leave a terminal status', () => {
    for (const status of ['COMPLETED', 'CANCELLED', 'EXPIRED'] as const) {
      expect(allowedTransitions(status)).toEqual([]);
    }
  });

  it('allows cancelling until the patient is on board, and expiring only while requested', () => {
    expect(isCancellable('AT_PICKUP')).toBe(true);
    expect(canTransition('AT_PICKUP', 'CANCELLED')).toBe(true);
    expect(canTransition('TRANSPORTING', 'CANCELLED')).toBe(false);
    expect(canTransition('REQUESTED', 'EXPIRED')).toBe(true);
    expect(canTransition('ACCEPTED', 'EXPIRED')).toBe(false);
  });

  it('ranks every status so that late events can be recognised', () => {
    const ranks = enumValues(TransportStatusEnum).map(lifecycleRank);
    expect(ranks.every((rank) => rank >= 0)).toBe(true);
    expect(lifecycleRank('TRANSPORTING')).toBeGreaterThan(lifecycleRank('ACCEPTED'));
    expect(lifecycleRank('CANCELLED')).toBeGreaterThan(lifecycleRank('AT_DESTINATION'));
  });
});
