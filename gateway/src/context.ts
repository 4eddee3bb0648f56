import type { BaseContext } from '@apollo/server';
import type { Authentication } from '@medport/server';

/** What the gateway knows of a request and passes on to the subgraphs. */
export interface GatewayContext extends BaseContext, Authentication {
  requestId: string;
  /**
   * The caller's Authorization header, forwarded unchanged when its token is valid (each subgraph verifies it
   * again); a refused token is not forwarded.
   */
  authorization: string | null;
  /**
   * The client's address, sent to the subgraphs as `x-forwarded-for` in place of anything the client sent (the
   * center limits sign-ins per client address); null for the gateway's own requests on behalf of many clients (the
   * events of a shared subscription).
   */
  clientAddress: string | null;
  /** The client's Idempotency-Key, passed to the subgraphs, which keep each mutation's first outcome under it. */
  idempotencyKey?: string;
  /**
   * Set once the operation is known, for a query that may share (see subgraph-sharing.ts): how many changes the
   * gateway had seen when it started. Its subgraph requests may share identical ones of the same caller in flight
   * that started after the same changes (see SubgraphDataSource). Undefined: never shared.
   */
  sharingEpoch?: number;
}
