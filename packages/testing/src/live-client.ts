import type { ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** How a live connection ended, as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

/** One graphql-ws connection as a mobile app opens it: the access token in `connection_init`, no retries. */
export interface LiveConnection {
  client: Client;
  /**
   * Resolves when the socket closes: by the server, or by a lazy client itself (1000) once its last subscription
   * ended; never on `dispose`.
   */
  closed: Promise<Closed>;
  /** `operationName` picks one operation of a document that holds several (as an IDE sends a whole tab). */
  subscribe<Data = any>(query: string, variables?: Record<string, unknown>, operationName?: string): LiveSubscription<Data>;
  dispose(): Promise<void>;
}

export interface LiveSubscription<Data = any> {
  /** Every result received so far, in order. */
  results: ExecutionResult<Data>[];
  /** Resolves with the error that ended it (a GraphQL error list or a close event), or null when it completed. */
  ended: Promise<unknown>;
  /** Waits until at least `count` results have arrived and returns them. */
  take(count: number, timeoutMs?: number): Promise<ExecutionResult<Data>[]>;
  unsubscribe(): void;
}

export function openLiveConnection(url: string, token: string | null, options: { lazy?: boolean } = {}): LiveConnection {
  let markClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (markClosed = resolve));
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: options.lazy ?? true,
    // A non-lazy client would print a close to stderr; `closed` reports it instead.
    onNonLazyError: () => {},
    on: { closed: (event) => markClosed({ code: (event as { code: number }).code, reason: String((event as { reason?: unknown }).reason ?? '') }) },
  });
  return {
    client,
    closed,
    subscribe<Data = any>(query: string, variables: Record<string, unknown> = {}, operationName?: string): LiveSubscription<Data> {
      const results: ExecutionResult<Data>[] = [];
      const waiters = new Set<() => void>();
      let markEnded!: (value: unknown) => void;
      const ended = new Promise<unknown>((resolve) => (markEnded = resolve));
      const wake = () => waiters.forEach((waiter) => waiter());
      const unsubscribe = client.subscribe<Data>(
        { query, variables, ...(operationName ? { operationName } : {}) },
        {
          next: (result) => {
            results.push(result as ExecutionResult<Data>);
            wake();
          },
          error: (error) => {
            markEnded(error);
            wake();
          },
          complete: () => {
            markEnded(null);
            wake();
          },
        },
      );
      let done = false;
      void ended.then(() => (done = true));
      return {
        results,
        ended,
        unsubscribe,
        take(count, timeoutMs = 15_000) {
          return new Promise((resolve, reject) => {
            const check = () => {
              if (results.length >= count) return finish(() => resolve(results.slice(0, count)));
              if (done) return finish(() => reject(new Error(`The subscription ended after ${results.length} of ${count} results: ${JSON.stringify(results)}`)));
            };
            const timer = setTimeout(
              () => finish(() => reject(new Error(`${results.length} of ${count} results within ${timeoutMs} ms: ${JSON.stringify(results)}`))),
              timeoutMs,
            );
            const finish = (settle: () => void) => {
              clearTimeout(timer);
              waiters.delete(check);
              settle();
            };
            waiters.add(check);
            void ended.then(check);
            check();
          });
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
