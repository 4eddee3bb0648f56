import type { BaseContext } from '@apollo/server';

/** What the gateway knows of a request and passes on to the subgraphs. */
export interface GatewayContext extends BaseContext {
  requestId: string;
  /** The caller's Authorization header, forwarded unchanged; each subgraph verifies it itself. */
  authorization: string | null;
}
