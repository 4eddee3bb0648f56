import { readFileSync } from 'node:fs';
import { SUPERGRAPH_FILE } from '@medport/schema';
import {
  assertEnumType,
  buildASTSchema,
  getNamedType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';

// The promise of the silos: one silo down costs the answer only the fields that silo resolves. The gateway fetches
// the fields of another silo separately; when that fetch fails, the fields it would have filled are null, and a
// null in a non-null field makes its parent null, and so on up. So every field at which the gateway crosses from one
// silo to another must be able to hold the null itself. Read from the composed supergraph, the schema clients use.

const supergraph = buildASTSchema(parse(readFileSync(SUPERGRAPH_FILE, 'utf8')), { assumeValidSDL: true });

/** The silo that writes each entity (the README's table): the other silos refer to it or add fields to it. */
const OWNER: Record<string, string> = {
  TransportRequest: 'hospital',
  Facility: 'hospital',
  Agency: 'ems',
  Unit: 'ems',
  Hospital: 'center',
  User: 'center',
  ServiceRegistration: 'center',
};

const GRAPH_NAMES = Object.fromEntries(
  assertEnumType(supergraph.getType('join__Graph'))
    .getValues()
    .map((value) => [value.name, String(argument(value.astNode?.directives?.find((d) => d.name.value === 'join__graph'), 'name'))]),
);

function argument(directive: ConstDirectiveNode | undefined, name: string): unknown {
  const node = directive?.arguments?.find((candidate) => candidate.name.value === name);
  return node ? (node.value.kind === Kind.ENUM ? node.value.value : valueFromASTUntyped(node.value)) : undefined;
}

const directivesOf = (node: { directives?: readonly ConstDirectiveNode[] } | undefined | null, name: string) =>
  (node?.directives ?? []).filter((directive) => directive.name.value === name);

/** The silos that define a type (`@join__type`), by name. */
function silosOfType(type: GraphQLObjectType): Set<string> {
  const nodes = [type.astNode, ...(type.extensionASTNodes ?? [])];
  return new Set(nodes.flatMap((node) => directivesOf(node, 'join__type')).map((directive) => GRAPH_NAMES[String(argument(directive, 'graph'))]!));
}

/** The silos that resolve a field: those its `@join__field`s name (not as external), or every silo of its type. */
function silosResolving(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): Set<string> {
  const joins = directivesOf(field.astNode, 'join__field');
  if (joins.length === 0) return silosOfType(type);
  return new Set(
    joins.filter((join) => argument(join, 'external') !== true && argument(join, 'graph') !== undefined).map((join) => GRAPH_NAMES[String(argument(join, 'graph'))]!),
  );
}

const objectTypes = Object.values(supergraph.getTypeMap()).filter(
  (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__') && !type.name.startsWith('join__') && !type.name.startsWith('link__'),
);
const entities = objectTypes.filter((type) => [type.astNode, ...(type.extensionASTNodes ?? [])].some((node) => directivesOf(node, 'join__type').some((d) => argument(d, 'key') !== undefined)));

describe('fields across silos in the supergraph', () => {
  it('names the owning silo of every entity', () => {
    expect(entities.map((type) => type.name).sort()).toEqual(Object.keys(OWNER).sort());
  });

  it('makes every field a silo adds to another silo\'s entity nullable, so the entity stays when that silo is down', () => {
    const violations: string[] = [];
    for (const entity of entities) {
      for (const field of Object.values(entity.getFields())) {
        const silos = silosResolving(entity, field);
        if (!silos.has(OWNER[entity.name]!) && isNonNullType(field.type)) violations.push(`${entity.name}.${field.name}: ${field.type} (resolved by ${[...silos].join(', ')})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('makes every field whose value needs another silo nullable, so a missing silo nulls that field and nothing above it', () => {
    const violations: string[] = [];
    for (const type of objectTypes) {
      for (const field of Object.values(type.getFields())) {
        const target = getNamedType(field.type);
        if (!isObjectType(target) || !isNonNullType(field.type)) continue;
        for (const silo of silosResolving(type, field)) {
          const elsewhere = Object.values(target.getFields()).filter((subfield) => isNonNullType(subfield.type) && !silosResolving(target, subfield).has(silo));
          if (elsewhere.length > 0) {
            violations.push(`${type.name}.${field.name}: ${field.type} in ${silo} needs ${elsewhere.map((subfield) => subfield.name).join(', ')} from another silo`);
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
