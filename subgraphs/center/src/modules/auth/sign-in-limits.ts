import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { userError } from '@medport/graphql';
import type { GraphQLError } from 'graphql';

/**
 * How much sign-in work the center takes on, so that signing in cannot be turned against the service: a password
 * check is one scrypt (about 0.4 s of a core and 128 MiB at OWASP's parameters), and it is the one thing an
 * anonymous caller can make the center do. The one place these numbers live; they apply per center process.
 *
 * - At most `passwordChecks.slots` checks run at once: half the cores, at least one and at most four, so the other
 *   half (and libuv's other threads, which file and DNS work needs) serve everything else, and memory stays bounded.
 *   Up to `queuedPerSlot` more per slot wait, each for at most `maxWaitMs`; beyond that an attempt is refused at
 *   once, with `busyRetryAfterSeconds` as its hint, rather than piling up behind the others.
 * - One client address has `perClient.burst` attempts, and gets one back every `perClient.refillSeconds` (30 a
 *   minute): enough for a ward behind one address signing in at a shift change, far too few for one client to take
 *   all the checks. IPv6 clients count per /64, the block one subscriber is usually given.
 *
 * Neither looks at the email, so the answer tells nothing of whether an account exists.
 */
export const SIGN_IN_LIMITS = {
  passwordChecks: {
    slots: Math.min(4, Math.max(1, Math.floor(availableParallelism() / 2))),
    queuedPerSlot: 32,
    maxWaitMs: 5_000,
    busyRetryAfterSeconds: 2,
  },
  perClient: { burst: 30, refillSeconds: 2 },
  /** Client addresses whose allowance is remembered; the longest unseen are forgotten first. */
  rememberedClients: 100_000,
} as const;

/** TOO_MANY_REQUESTS with its hint, in the body and as an HTTP 429 with Retry-After. */
export function tooManyRequests(message: string, retryAfterSeconds: number): GraphQLError {
  return userError('TOO_MANY_REQUESTS', message, {
    retryAfterSeconds,
    http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
  });
}

class NoSlotFree extends Error {}

/** Runs tasks with at most `slots` at once, the others waiting in order, within the bounds of `SIGN_IN_LIMITS`. */
export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(private readonly limits: { slots: number; queuedPerSlot: number; maxWaitMs: number }) {}

  /** Runs `task` in a slot, or rejects with NoSlotFree when the queue is full or the wait for a slot too long. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limits.slots) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.slots * this.limits.queuedPerSlot) return Promise.reject(new NoSlotFree());
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(new NoSlotFree());
      }, this.limits.maxWaitMs);
      this.waiting.push(entry);
    });
  }

  private release() {
    // The slot passes straight to the next in line, so a newcomer cannot overtake the queue.
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.running--;
  }
}

/**
 * The password checks of this process, sign-ins and new passwords alike (every scrypt a request causes). Refused
 * beyond the limits with TOO_MANY_REQUESTS.
 */
const passwordCheckGate = new ConcurrencyGate(SIGN_IN_LIMITS.passwordChecks);

export async function withPasswordCheckSlot<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await passwordCheckGate.run(task);
  } catch (error) {
    if (!(error instanceof NoSlotFree)) throw error;
    const seconds = SIGN_IN_LIMITS.passwordChecks.busyRetryAfterSeconds;
    throw tooManyRequests(`The service is checking too many passwords at once; try again in ${seconds} seconds.`, seconds);
  }
}

/** A token bucket per client: `burst` attempts, one more every `refillSeconds`. */
export class ClientAllowance {
  private readonly clients = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: { burst: number; refillSeconds: number },
    private readonly remembered: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one attempt from the client's allowance: 0 when it had one, else the whole seconds until it has. */
  take(client: string): number {
    const now = this.now();
    const { burst, refillSeconds } = this.limits;
    const known = this.clients.get(client);
    const tokens = known ? Math.min(burst, known.tokens + (now - known.at) / 1000 / refillSeconds) : burst;
    // Re-inserted, so the map's order is the order clients were last seen in, oldest first.
    this.clients.delete(client);
    if (tokens < 1) {
      this.clients.set(client, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) * refillSeconds));
    }
    this.clients.set(client, { tokens: tokens - 1, at: now });
    if (this.clients.size > this.remembered) this.clients.delete(this.clients.keys().next().value!);
    return 0;
  }
}

const signInAllowance = new ClientAllowance(SIGN_IN_LIMITS.perClient, SIGN_IN_LIMITS.rememberedClients);

/** Refuses the attempt with TOO_MANY_REQUESTS when its client has used up its allowance. */
export function admitClientAttempt(client: string): void {
  const retryAfterSeconds = signInAllowance.take(client);
  if (retryAfterSeconds > 0) {
    throw tooManyRequests(`Too many sign-in attempts from this address; try again in ${retryAfterSeconds} seconds.`, retryAfterSeconds);
  }
}

/**
 * What sign-in attempts are counted under for a client address: an IPv4 address itself, an IPv6 address's /64 (one
 * subscriber's block, whose 2^64 addresses would otherwise each be a new client). A request that reached the center
 * with no address (none is known) counts with every other such request.
 */
export function clientKeyOf(address: string | null): string {
  if (!address || isIP(address) === 0) return 'unknown';
  if (isIP(address) === 4) return address;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])));
  const [head = '', tail] = address.split('%', 1)[0]!.split('::');
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** The key a client's failed sign-ins are stored under: its key's SHA-256 (hex), never the address itself. */
export const signInClientHash = (clientKey: string) => createHash('sha256').update(clientKey).digest('hex');
