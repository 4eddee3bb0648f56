/**
 * The baseline peer: the supergraph served by a stock @apollo/gateway under @apollo/server, the way its
 * documentation sets it up (default fetcher, default plugins). The additions are what MedPort's subgraphs need
 * from any gateway, the caller's `authorization` header passed on to each subgraph, and what MedPort requires of
 * every process it starts: no reporting to the vendor (its OpenTelemetry exporter and cloud metadata probes, usage
 * and schema reporting), whatever the environment says. Turning those off measured no difference in throughput.
 *
 *   node --import tsx bench/peers/apollo-gateway.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { disableApolloGatewayTelemetry, vendorReportingDisabled } from '@medport/server';

interface Context {
  authorization?: string;
}

const [supergraphPath, port] = process.argv.slice(2);
if (!supergraphPath || !port) throw new Error('usage: apollo-gateway.ts <supergraph file> <port>');

disableApolloGatewayTelemetry();
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphPath, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http?.headers.set('authorization', context.authorization);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway, plugins: vendorReportingDisabled<Context>() });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`stock @apollo/gateway ready at ${url}`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
