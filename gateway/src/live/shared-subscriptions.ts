import { randomUUID } from 'node:crypto';
import type { VerifiedSession } from '@medport/auth';
import { compareCursors } from '@medport/events';
import { EventQueue } from '@medport/graphql';
import type { Logger } from '@medport/server';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SubscriptionPlan, SubscriptionPlanner } from './subscription-plans.js';

/** A client's subscription, as the groups see it. */
export interface Subscriber {
  session: VerifiedSession;
  /** The token as the client sent it, forwarded to the silos for the fields they resolve per event. */
  token: string;
  /** Ends the client's connection because it cannot keep up (it may reconnect). */
  dropAsTooSlow(): void;
}

export interface SharedSubscriptionOptions {
  planner: SubscriptionPlanner;
  /** graphql-ws URL of each subgraph (`ws://…/graphql`). */
  subgraphUrls: Record<string, string>;
  logger: Logger;
  /** Results a subscriber may have waiting before it is dropped as too slow. */
  maxQueuedEvents: number;
  /** An upstream's token is replaced this long before it expires, when a member holds a newer one. */
  renewBeforeExpiryMs: number;
  /** Called for every event an upstream delivers: something changed in a silo. */
  onEvent?: () => void;
}

/** Events one group may have waiting for their per-event fetches before it gives up on them. */
const MAX_PENDING_EVENTS = 1_000;

interface Upstream {
  client: Client;
  expiresAt: number;
  /** A replaced upstream runs until its token expires; its end is expected, not an outage. */
  retired: boolean;
  /** Results of a renewed upstream, held while the one it replaces still delivers (see `receive`). */
  held: FormattedExecutionResult<Record<string, unknown>, { cursor?: string }>[];
}

interface Member {
  subscriber: Subscriber;
  queue: EventQueue<ExecutionResult>;
}

/**
 * Clients with the same operation, variables and scope share one subscription on the owning subgraph, and each
 * event's other-silo fields are fetched once for all of them: a thousand crew phones of one agency cost one
 * upstream subscription and one set of entity fetches per event. Scope is role and tenant; operations that read
 * patient data are not shared at all (see groupKeyOf), so that the silos audit each delivery in its reader's name.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly options: SharedSubscriptionOptions) {}

  /** Adds a subscriber; the returned iterator yields its results and leaves the group when it returns. */
  join(key: string, plan: SubscriptionPlan, variables: Record<string, unknown>, subscriber: Subscriber): AsyncIterableIterator<ExecutionResult> {
    let group = this.groups.get(key);
    if (!group) {
      const created: Group = new Group(plan, variables, this.options, () => {
        // A group that is ending leaves the map at once, so a newcomer starts a new group with a new upstream.
        if (this.groups.get(key) === created) this.groups.delete(key);
      });
      this.groups.set(key, created);
      group = created;
    }
    return group.add(subscriber);
  }

  /** Upstream subscriptions open now, and the subscribers they serve (for operators and tests). */
  stats() {
    let subscribers = 0;
    for (const group of this.groups.values()) subscribers += group.size;
    return { upstreams: this.groups.size, subscribers };
  }

  /** Ends every group and its upstream (shutdown). */
  close() {
    for (const group of [...this.groups.values()]) group.close();
  }
}

class Group {
  private readonly members = new Set<Member>();
  private readonly upstreams = new Set<Upstream>();
  private lastCursor: string | null = null;
  /** Events are executed one after another, so every subscriber sees them in the silo's order. */
  private chain: Promise<void> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  /** The upstream's token is close to expiry and no member had a newer one when it was time to renew. */
  private renewalDue = false;
  private newest: Upstream | null = null;
  /** Events received and not yet delivered; bounded, so a burst the silos cannot keep up with does not pile up. */
  private pending = 0;
  private closed = false;

  constructor(
    private readonly plan: SubscriptionPlan,
    private readonly variables: Record<string, unknown>,
    private readonly options: SharedSubscriptionOptions,
    private readonly onEmpty: () => void,
  ) {}

  get size() {
    return this.members.size;
  }

  add(subscriber: Subscriber): AsyncIterableIterator<ExecutionResult> {
    const member: Member = {
      subscriber,
      queue: new EventQueue<ExecutionResult>(
        this.options.maxQueuedEvents,
        () => this.remove(member),
        () => subscriber.dropAsTooSlow(),
      ),
    };
    this.members.add(member);
    if (this.upstreams.size === 0) this.openUpstream(subscriber);
    else if (this.renewalDue && this.newest && subscriber.session.expiresAt.getTime() > this.newest.expiresAt) this.renew(subscriber);
    return member.queue;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.renewTimer);
    // Disposing waits for a connection still being opened, and rejects if that fails: nothing is left to tell.
    for (const upstream of this.upstreams) Promise.resolve(upstream.client.dispose()).catch(() => {});
    this.upstreams.clear();
    for (const member of [...this.members]) member.queue.end();
    this.onEmpty();
  }

  private remove(member: Member) {
    this.members.delete(member);
    if (this.members.size === 0) this.close();
  }

  /** The member whose token lasts longest: the silos are asked in its name (all members share role and tenant). */
  private freshest(): Subscriber | null {
    let best: Subscriber | null = null;
    for (const { subscriber } of this.members) {
      if (!best || subscriber.session.expiresAt > best.session.expiresAt) best = subscriber;
    }
    return best;
  }

  private openUpstream(subscriber: Subscriber) {
    const url = this.options.subgraphUrls[this.plan.primary.serviceName];
    if (!url) throw new Error(`No subscription URL for subgraph ${this.plan.primary.serviceName}`);
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${subscriber.token}` },
      // A lost upstream ends its subscribers' subscriptions with an error at once; their clients resubscribe.
      retryAttempts: 0,
      lazy: true,
    });
    const upstream: Upstream = { client, expiresAt: subscriber.session.expiresAt.getTime(), retired: false, held: [] };
    this.upstreams.add(upstream);
    this.newest = upstream;
    this.renewalDue = false;
    client.subscribe<Record<string, unknown>, { cursor?: string }>(
      { query: this.plan.primary.operation, variables: this.options.planner.primaryVariables(this.plan, this.variables), operationName: this.plan.primary.operationName ?? undefined },
      {
        next: (result) => this.receive(upstream, result),
        error: (error) => this.upstreamEnded(upstream, error),
        complete: () => this.upstreamEnded(upstream, null),
      },
    );
    this.scheduleRenewal(upstream);
  }

  /**
   * The subgraph closes an upstream when the token it was opened with expires. Before that, if a member holds a
   * newer token, a second upstream opens with it well before. The old one keeps delivering until it ends; the new
   * one's results are held meanwhile and then passed on from where the old one stopped (by feed cursor), so none is
   * lost or repeated, whichever of the two read an event first.
   */
  private scheduleRenewal(upstream: Upstream) {
    clearTimeout(this.renewTimer);
    const delay = Math.max(0, upstream.expiresAt - Date.now() - this.options.renewBeforeExpiryMs);
    this.renewTimer = setTimeout(() => {
      const next = this.freshest();
      if (this.closed) return;
      if (!next || next.session.expiresAt.getTime() <= upstream.expiresAt) this.renewalDue = true;
      else this.renew(next);
    }, delay);
    this.renewTimer.unref();
  }

  private renew(subscriber: Subscriber) {
    for (const upstream of this.upstreams) upstream.retired = true;
    this.openUpstream(subscriber);
  }

  private receive(upstream: Upstream, result: FormattedExecutionResult<Record<string, unknown>, { cursor?: string }>) {
    const cursor = result.extensions?.cursor;
    // A replaced upstream's refusal (it is being closed) is not the group's news.
    if (upstream.retired && !cursor) return;
    if (cursor) this.options.onEvent?.();
    if (!upstream.retired && [...this.upstreams].some((other) => other.retired)) {
      upstream.held.push(result);
      if (upstream.held.length > MAX_PENDING_EVENTS) this.overloaded();
      return;
    }
    this.accept(result);
  }

  /** Passes on a result in feed order, once: an event both upstreams delivered is taken from the first. */
  private accept(result: FormattedExecutionResult<Record<string, unknown>, { cursor?: string }>) {
    const cursor = result.extensions?.cursor;
    if (cursor) {
      if (this.lastCursor && compareCursors(cursor, this.lastCursor) <= 0) return;
      this.lastCursor = cursor;
    }
    if (++this.pending > MAX_PENDING_EVENTS) return this.overloaded();
    this.chain = this.chain.then(() => this.deliver(result as ExecutionResult)).finally(() => this.pending--);
  }

  /** More events arrive than the silos answer the per-event fetches for: its subscribers are told and ended. */
  private overloaded() {
    this.options.logger.warn({ service: this.plan.primary.serviceName, pending: this.pending }, 'subscription group fell behind; ended');
    const error = new GraphQLError('Events arrive faster than they can be completed; subscribe again and re-read the current state.', {
      extensions: { code: 'SERVICE_OVERLOADED' },
    });
    for (const member of this.members) member.queue.push({ errors: [error] });
    this.close();
  }

  private async deliver(event: ExecutionResult) {
    if (this.closed) return;
    const caller = this.freshest();
    if (!caller) return;
    let result: ExecutionResult;
    try {
      result = event.data
        ? await this.options.planner.executeEvent(this.plan, event, this.variables, {
            viewer: caller.session.viewer,
            authenticationError: null,
            requestId: randomUUID(),
            authorization: `Bearer ${caller.token}`,
            clientAddress: null,
          })
        : // The silo refused the subscription (NOT_FOUND, FORBIDDEN…): its errors, as it gave them.
          { errors: (event.errors ?? []).map((error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions })) };
    } catch (error) {
      this.options.logger.error({ err: error }, 'executing a subscription event failed');
      result = { errors: [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
    }
    for (const member of this.members) member.queue.push(result);
  }

  /**
   * A completed upstream (the subgraph refused the subscription, and said why in its last result) ends the group;
   * a lost one ends it with SERVICE_UNAVAILABLE.
   */
  private upstreamEnded(upstream: Upstream, error: unknown) {
    this.upstreams.delete(upstream);
    if (this.closed) return;
    if (upstream.retired) {
      // The replaced upstream delivered all it will: the new one's held results follow from where it stopped.
      const newest = this.newest;
      if (newest && ![...this.upstreams].some((other) => other.retired)) {
        for (const result of newest.held.splice(0)) this.accept(result);
      }
      return;
    }
    this.onEmpty();
    if (error === null) {
      this.chain = this.chain.then(() => this.close());
      return;
    }
    const service = this.plan.primary.serviceName;
    this.options.logger.warn({ service, err: error }, 'upstream subscription lost');
    const ended: ExecutionResult = {
      errors: [
        new GraphQLError(`The ${service} service ended this subscription (it is unavailable or restarting); subscribe again.`, {
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: service },
        }),
      ],
    };
    // After the events already on their way: subscribers get what came before the loss, then the error, then the end.
    this.chain = this.chain.then(() => {
      for (const member of this.members) member.queue.push(ended);
      this.close();
    });
  }
}
