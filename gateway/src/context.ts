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
   * Set once the operation is known: a query that reads no patient data may share identical subgraph requests in
   * flight with the same caller's other requests (see SubgraphDataSource).
   */
  deduplicateSubgraphQueries?: boolean;
}
