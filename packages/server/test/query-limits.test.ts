import { buildSubgraphSchema } from '@apollo/subgraph';
import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { largestListProduct } from '../src/query-limits.js';

const schema = buildSubgraphSchema({
  typeDefs: parse(`
    type Query { facilities(first: Int = 50): FacilityConnection! }
    type Facility @key(fields: "id") { id: ID! trips(first: Int = 50): TripConnection! }
    type FacilityConnection { nodes: [Facility!]! }
    type TripConnection { nodes: [Trip!]! }
    type Trip { id: ID! }
  `),
});

const productOf = (source: string, variables: Record<string, unknown> = {}) => largestListProduct(schema, getOperationAST(parse(source))!, {}, variables);

describe('largestListProduct on a subgraph', () => {
  it('counts the representations of _entities, given in variables or written in the document, as items', () => {
    const representations = Array.from({ length: 300 }, (_, index) => ({ __typename: 'Facility', id: String(index) }));
    const entities = 'query($r: [_Any!]!, $t: Int) { _entities(representations: $r) { ... on Facility { trips(first: $t) { nodes { id } } } } }';
    expect(productOf(entities, { r: representations, t: 20 })).toBe(6_000);
    expect(productOf('{ _entities(representations: [{ __typename: "Facility", id: "1" }, { __typename: "Facility", id: "2" }]) { __typename } }')).toBe(2);
  });

  it('multiplies pages as at the gateway', () => {
    expect(productOf('query($f: Int) { facilities(first: $f) { nodes { trips(first: 4) { nodes { id } } } } }', { f: 500 })).toBe(2_000);
  });
});
