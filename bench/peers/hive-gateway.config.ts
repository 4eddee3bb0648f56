/**
 * The second peer: Hive Gateway with its defaults, serving the same supergraph. The only setting is what MedPort's
 * subgraphs need from any gateway: the caller's `authorization` header passed on to each subgraph.
 */
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
});
