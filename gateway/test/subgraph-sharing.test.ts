import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.js';
import { subgraphSharingPlugin } from '../src/subgraph-sharing.js';

const schema = buildSchema(`
  type Query { transportRequests: [TransportRequest!]! }
  type Mutation { cancelTransportRequest(id: ID!): TransportRequest }
  type TransportRequest { id: ID! status: String! patientReference: String! }
`);

/** Runs one operation through the plugin's hooks as Apollo Server would, and returns the context it left. */
async function run(plugin: ReturnType<typeof subgraphSharingPlugin>, source: string): Promise<GatewayContext> {
  const document = parse(source);
  const operation = getOperationAST(document)!;
  const contextValue = {} as GatewayContext;
  const hooks = (await plugin.requestDidStart!({ contextValue } as never))!;
  await hooks.didResolveOperation!({ operation, document, schema, contextValue } as never);
  await hooks.willSendResponse!({ operation, contextValue } as never);
  return contextValue;
}

describe('the subgraph sharing plugin', () => {
  it('lets queries share, and a query that follows a write shares only with requests after it', async () => {
    const plugin = subgraphSharingPlugin();
    const before = await run(plugin, '{ transportRequests { id status } }');
    const write = await run(plugin, 'mutation { cancelTransportRequest(id: "1") { id } }');
    const after = await run(plugin, '{ transportRequests { id status } }');
    expect(write.sharingEpoch).toBeUndefined();
    expect(before.sharingEpoch).toBe(0);
    expect(after.sharingEpoch).toBe(1);
  });

  it('never lets an operation that selects patient data share, even through a fragment', async () => {
    const plugin = subgraphSharingPlugin();
    const reads = await run(plugin, '{ transportRequests { ...Trip } } fragment Trip on TransportRequest { id patientReference }');
    expect(reads.sharingEpoch).toBeUndefined();
  });
});
