import { buildSchema, getOperationAST, Kind, parse, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { largestListProduct } from '@medport/server';

const schema = buildSchema(`
  type Query { agencies(first: Int = 50): AgencyConnection! }
  type AgencyConnection { nodes: [Agency!]! }
  type Agency { name: String! trips(first: Int = 50): TripConnection! }
  type TripConnection { nodes: [Trip!]! }
  type Trip { id: ID! }
`);

const productOf = (source: string, variables: Record<string, unknown> = {}) => {
  const document = parse(source);
  const fragments = Object.fromEntries(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  return largestListProduct(schema, getOperationAST(document)!, fragments, variables);
};

describe('largestListProduct', () => {
  it('multiplies the pages along a path, written in the query or given in variables', () => {
    expect(productOf('{ agencies(first: 4) { nodes { trips(first: 3) { nodes { id } } } } }')).toBe(12);
    expect(productOf('query($a: Int, $t: Int) { agencies(first: $a) { nodes { trips(first: $t) { nodes { id } } } } }', { a: 500, t: 500 })).toBe(250_000);
  });

  it('counts the default page where none is given, and looks through fragments', () => {
    expect(productOf('{ agencies { nodes { ...Trips } } } fragment Trips on Agency { trips(first: 2) { nodes { id } } }')).toBe(100);
    expect(productOf('{ agencies(first: 1) { nodes { ... on Agency { trips { nodes { id } } } } } }')).toBe(50);
  });
});
