/** What the gateway benchmark measures with: a load generator run, the CPU time of processes, medians. */
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, GraphQL errors in a 2xx answer, socket errors and timeouts. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  body: string;
  authorization: string;
  connections: number;
  seconds: number;
}

/**
 * Sends the same POST from `connections` keep-alive connections, each waiting for its answer before the next one
 * (no pipelining), for `seconds`. A 200 whose body carries `"errors"` counts as a failure: a fast wrong answer
 * must not look like a fast answer.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: options.authorization },
    body: options.body,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 30,
    verifyBody: (body) => !String(body).includes('"errors"'),
  });
  const completed = result.requests.total;
  return {
    requests: completed,
    requestsPerSecond: completed / options.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + (result as { mismatches?: number }).mismatches!,
  };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU time of a process and every process under it, in milliseconds (Linux /proc). */
export function cpuMillisecondsOfTree(rootPid: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(entry), Number(fields[1]));
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length) {
    const pid = pending.pop()!;
    total += ticks.get(pid) ?? 0;
    for (const [child, parent] of parents) if (parent === pid) pending.push(child);
  }
  return (total * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Waits until the processes together use less than `threshold` of one core over a second (or `maxMs`): the
 * events a run of writes caused are handled before the next run is measured. (Idle services still poll a little.)
 */
export async function waitForQuiet(pids: number[], threshold = 0.1, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  const total = () => pids.reduce((sum, pid) => sum + cpuMillisecondsOfTree(pid), 0);
  while (Date.now() < deadline) {
    const before = total();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (total() - before < 1_000 * threshold) return;
  }
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
