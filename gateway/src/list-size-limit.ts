import type { ApolloServerPlugin } from '@apollo/server';
import { queryLimitError } from '@medport/graphql';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GatewayContext } from './context.js';

/**
 * The most items an operation can ask for at once: the product of the `first` arguments along each path of nested
 * lists, with the values of its variables (or the arguments' defaults). The cost limit only sees `first` when it is
 * written in the query, so `agencies(first: $a) { … trips(first: $t) … }` would otherwise pass it whatever the
 * variables say.
 */
export function largestListProduct(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  let largest = 1;
  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, product: number, visiting: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        const firstArgument = field.args.find((argument) => argument.name === 'first');
        let factor = 1;
        if (firstArgument) {
          const node = selection.arguments?.find((argument) => argument.name.value === 'first');
          const value = node ? valueFromAST(node.value, firstArgument.type, variables) : firstArgument.defaultValue;
          if (typeof value === 'number' && value > 1) factor = value;
        }
        const nested = product * factor;
        largest = Math.max(largest, nested);
        const type = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(type)) walk(selection.selectionSet, type, nested, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
        walk(selection.selectionSet, condition && isCompositeType(condition) ? condition : parentType, product, visiting);
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || visiting.has(fragment.name.value)) continue;
        const condition = schema.getType(fragment.typeCondition.name.value);
        visiting.add(fragment.name.value);
        walk(fragment.selectionSet, condition && isCompositeType(condition) ? condition : parentType, product, visiting);
        visiting.delete(fragment.name.value);
      }
    }
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (root) walk(operation.selectionSet, root, 1, new Set());
  return largest;
}

/**
 * The refusal of an operation whose nested pages could hold more than `maxItems` items (QUERY_TOO_MANY_LIST_ITEMS),
 * or null when it stays within them. Over HTTP and over graphql-ws alike.
 */
export function listSizeRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  maxItems: number,
): GraphQLError | null {
  const fragments = Object.fromEntries(
    document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [])),
  );
  const items = largestListProduct(schema, operation, fragments, variables);
  if (items <= maxItems) return null;
  return queryLimitError(
    'QUERY_TOO_MANY_LIST_ITEMS',
    `The nested pages of this operation could hold ${items.toLocaleString('en-US')} items; at most ${maxItems.toLocaleString('en-US')} are allowed. Ask for smaller pages.`,
    { limit: maxItems, actual: items },
  );
}

/** Refuses, before planning, an operation whose nested pages could hold more than `maxItems` items. */
export function listSizeLimitPlugin(maxItems: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          if (!operation) return;
          const refusal = listSizeRefusal(schema, document, operation, request.variables ?? {}, maxItems);
          // Apollo answers an error thrown here with 500 unless it names a status: the request is what is too large.
          if (refusal) throw new GraphQLError(refusal.message, { extensions: { ...refusal.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}
