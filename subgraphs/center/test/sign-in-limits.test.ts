import { describe, expect, it } from 'vitest';
import { ClientAllowance, clientKeyOf, ConcurrencyGate } from '../src/modules/auth/sign-in-limits.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the password-check gate', () => {
  it('runs at most `slots` tasks at once, queues `slots × queuedPerSlot` more in order, and refuses the rest at once', async () => {
    const gate = new ConcurrencyGate({ slots: 2, queuedPerSlot: 2, maxWaitMs: 5_000 });
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (index: number) => async () => {
      started.push(index);
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return index;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 9 }, (_, index) => gate.run(task(index))));
    expect(most).toBe(2);
    expect(outcomes.slice(0, 6).map((outcome) => outcome.status)).toEqual(Array(6).fill('fulfilled'));
    expect(outcomes.slice(6).map((outcome) => outcome.status)).toEqual(Array(3).fill('rejected'));
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    // Once the queue has drained, there is room again.
    expect(await gate.run(async () => 'again')).toBe('again');
  });

  it('refuses a task that waited longer than `maxWaitMs` for a slot, and frees its place in the queue', async () => {
    const gate = new ConcurrencyGate({ slots: 1, queuedPerSlot: 1, maxWaitMs: 50 });
    const slow = gate.run(() => sleep(200));
    await expect(gate.run(async () => 'late')).rejects.toThrow();
    await expect(gate.run(async () => 'also late')).rejects.toThrow();
    await slow;
    expect(await gate.run(async () => 'in time')).toBe('in time');
  });

  it('passes the slot on when a task fails', async () => {
    const gate = new ConcurrencyGate({ slots: 1, queuedPerSlot: 1, maxWaitMs: 1_000 });
    await expect(gate.run(async () => Promise.reject(new Error('scrypt failed')))).rejects.toThrow('scrypt failed');
    expect(await gate.run(async () => 'next')).toBe('next');
  });
});

describe("a client address's allowance", () => {
  it('gives `burst` attempts, then one every `refillSeconds`, and says how long to wait in between', () => {
    let now = 0;
    const allowance = new ClientAllowance({ burst: 3, refillSeconds: 2 }, 100, () => now);
    expect([allowance.take('a'), allowance.take('a'), allowance.take('a')]).toEqual([0, 0, 0]);
    expect(allowance.take('a')).toBe(2);
    now += 1_000;
    expect(allowance.take('a')).toBe(1);
    now += 1_000;
    expect(allowance.take('a')).toBe(0);
    expect(allowance.take('a')).toBe(2);
    // Another client is not affected, and a quiet client is back at the full burst (no more).
    expect(allowance.take('b')).toBe(0);
    now += 60_000;
    expect([allowance.take('a'), allowance.take('a'), allowance.take('a'), allowance.take('a')]).toEqual([0, 0, 0, 2]);
  });

  it('remembers a bounded number of clients, forgetting the longest unseen first', () => {
    const allowance = new ClientAllowance({ burst: 1, refillSeconds: 60 }, 2, () => 0);
    expect(allowance.take('a')).toBe(0);
    expect(allowance.take('b')).toBe(0);
    expect(allowance.take('a')).toBeGreaterThan(0);
    expect(allowance.take('c')).toBe(0);
    // b was the longest unseen, so it starts afresh; a is still remembered.
    expect(allowance.take('b')).toBe(0);
    expect(allowance.take('c')).toBeGreaterThan(0);
  });
});

describe('the client an attempt is counted under', () => {
  it('is an IPv4 address itself and an IPv6 address’s /64', () => {
    expect(clientKeyOf('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKeyOf('2001:db8:5:7::1')).toBe('2001:db8:5:7::/64');
    expect(clientKeyOf('2001:0db8:0005:0007:ffff:ffff:ffff:ffff')).toBe('2001:db8:5:7::/64');
    expect(clientKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKeyOf('::ffff:203.0.113.9')).toBe('0:0:0:0::/64');
  });

  it('is one shared key for requests whose address is unknown or malformed', () => {
    expect(clientKeyOf(null)).toBe('unknown');
    expect(clientKeyOf('')).toBe('unknown');
    expect(clientKeyOf('not an address')).toBe('unknown');
  });
});
