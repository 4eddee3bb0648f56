import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.js';
import { ChangeCounter, subgraphSharingPlugin } from '../src/subgraph-sharing.js';

const schema = buildSchema(`
  type Query {
    transportRequests: TransportRequestConnection!
    transportRequest(id: ID!): TransportRequest
    offers: [TripOffer!]!
  }
  type Mutation { cancelTransportRequest(id: ID!): TransportRequest }
  type TransportRequestConnection { nodes: [TransportRequest!]! edges: [TransportRequestEdge!]! }
  type TransportRequestEdge { node: TransportRequest! }
  type TransportRequest { id: ID! status: String! patientReference: String! }
  type TripOffer { id: ID! trip: TransportRequest }
`);

const signedIn = () => ({ viewer: { userId: 'u', role: 'CENTER_ADMIN' }, authorization: 'Bearer a' }) as unknown as GatewayContext;

/** Runs one operation through the plugin's hooks as Apollo Server would, and returns the context it left. */
async function run(plugin: ReturnType<typeof subgraphSharingPlugin>, source: string, contextValue = signedIn()): Promise<GatewayContext> {
  const document = parse(source);
  const operation = getOperationAST(document)!;
  const hooks = (await plugin.requestDidStart!({ contextValue } as never))!;
  await hooks.didResolveOperation!({ operation, document, schema, contextValue } as never);
  await hooks.willSendResponse!({ operation, contextValue } as never);
  return contextValue;
}

describe('the subgraph sharing plugin', () => {
  it('lets list queries share, and a query that follows a write or a change event only with requests after it', async () => {
    const changes = new ChangeCounter();
    const plugin = subgraphSharingPlugin(changes);
    const before = await run(plugin, '{ transportRequests { nodes { id status } edges { node { id } } } }');
    const write = await run(plugin, 'mutation { cancelTransportRequest(id: "1") { id } }');
    const afterWrite = await run(plugin, '{ transportRequests { nodes { id status } } }');
    changes.advance(); // a live event
    const afterEvent = await run(plugin, '{ transportRequests { nodes { id status } } }');
    expect(write.sharingEpoch).toBeUndefined();
    expect(new Set([before.sharingEpoch, afterWrite.sharingEpoch, afterEvent.sharingEpoch]).size).toBe(3);
    expect(afterWrite.sharingEpoch!).toBeGreaterThan(before.sharingEpoch!);
    expect(afterEvent.sharingEpoch!).toBeGreaterThan(afterWrite.sharingEpoch!);
  });

  it('never lets an operation share that selects patient data, even through a fragment', async () => {
    const plugin = subgraphSharingPlugin(new ChangeCounter());
    const reads = await run(plugin, '{ transportRequests { nodes { ...Trip } } } fragment Trip on TransportRequest { id patientReference }');
    expect(reads.sharingEpoch).toBeUndefined();
  });

  it('never lets an operation share that looks a trip up by id, directly or through another silo', async () => {
    const plugin = subgraphSharingPlugin(new ChangeCounter());
    expect((await run(plugin, '{ transportRequest(id: "1") { id status } }')).sharingEpoch).toBeUndefined();
    expect((await run(plugin, '{ offers { id trip { id } } }')).sharingEpoch).toBeUndefined();
  });

  it('never lets an unauthenticated request share', async () => {
    const plugin = subgraphSharingPlugin(new ChangeCounter());
    const anonymous = await run(plugin, '{ transportRequests { nodes { id } } }', { viewer: null, authorization: null } as unknown as GatewayContext);
    expect(anonymous.sharingEpoch).toBeUndefined();
  });
});
