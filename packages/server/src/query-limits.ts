import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { isQueryLimitCode, queryLimitError, tokenLimitError, type ErrorCode, type QueryLimitCode } from '@medport/graphql';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  specifiedRules,
  validate,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** The bounds an operation must stay within, at the gateway and at every subgraph. */
export interface QueryLimitSettings {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxDirectives: number;
  /** The most items nested pages may hold (see `largestListProduct`). */
  maxListItems: number;
}

/** The gateway's limits unless its environment says otherwise (MAX_DEPTH, MAX_ALIASES, …). */
export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimitSettings> = Object.freeze({
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxCost: 5000,
  maxDirectives: 50,
  maxListItems: 10_000,
});

/**
 * A subgraph's own limits, so that a caller who reaches its port without the gateway (anything on the internal
 * network, a port published by mistake) cannot exhaust the silo. They are the gateway's defaults times what Apollo's
 * query planner can add when it cuts a client's operation into subgraph fetches: whatever the gateway accepts must
 * still run here.
 */
export const SUBGRAPH_QUERY_LIMITS: Readonly<QueryLimitSettings> = Object.freeze({
  // An entity fetch wraps the client's selection in `_entities { ... on T { … } }`, one level more than the field
  // that returned the entity; twice the depth also leaves room for inline fragments planned on abstract types.
  maxDepth: DEFAULT_QUERY_LIMITS.maxDepth * 2,
  // Aliases and directives reach the fetches as the client wrote them; the planner aliases a field of its own only
  // where two selections would otherwise conflict.
  maxAliases: DEFAULT_QUERY_LIMITS.maxAliases * 2,
  maxDirectives: DEFAULT_QUERY_LIMITS.maxDirectives * 2,
  // The `_entities` wrapper weighs every field below it 1.5 × 1.5 more, and the planner adds `__typename` and the key
  // of every entity a fetch passes on: a fetch of a root entity (`hospital(id:)`) costs about twice the client's
  // whole operation.
  maxCost: DEFAULT_QUERY_LIMITS.maxCost * 4,
  // Fragments the planner cannot reuse in a fetch are written out at each spread. The gateway's cost limit, where
  // every field counts at least once, bounds the fetch's size; the token limit only bounds what parsing costs here.
  maxTokens: DEFAULT_QUERY_LIMITS.maxTokens * 10,
  // The gateway sends one representation per parent object (500 trips of ten hospitals are 500 hospital
  // representations), and unpaged lists it does not count (a trip's `responses`) multiply them.
  maxListItems: DEFAULT_QUERY_LIMITS.maxListItems * 10,
});

export interface QueryLimits {
  /** Cost, depth, aliases and directives: validation rules, for HTTP and for subscriptions alike. */
  validationRules: ValidationRule[];
  /** The token limit, which graphql-js's parser enforces while it reads the document. */
  parseOptions: ParseOptions;
  /** Hides "Did you mean …" suggestions from validation errors, where asked. */
  plugins: ReturnType<ApolloArmor['protect']>['plugins'];
}

const count = (value: number) => value.toLocaleString('en-US');

/** The value graphql-armor measured, from its message ("… exceeded, found 14."), or undefined. */
function measuredBy(error: GraphQLError): number | undefined {
  const match = /found (\d+(?:\.\d+)?)\.?$/.exec(error.message);
  // Costs can be fractional (each level of nesting weighs 1.5 times the one above); rounding up keeps them above
  // the limit.
  return match ? Math.ceil(Number(match[1])) : undefined;
}

/**
 * Armor's own refusal reads "Syntax Error: Query Cost limit of 5000 exceeded" and carries a code Apollo overwrites
 * with GRAPHQL_VALIDATION_FAILED; MedPort reports the limit's own code (restored by `formatErrorFor`), the limit
 * and the operation's value instead.
 */
function refuseWith(code: QueryLimitCode, limit: number, message: (found: string, most: string) => string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const actual = measuredBy(error);
        const found = actual === undefined ? `more than ${count(limit)}` : count(actual);
        context?.reportError(queryLimitError(code, message(found, count(limit)), { limit, actual }));
      },
    ],
  };
}

/** The query limits MAX_COST, MAX_DEPTH, MAX_ALIASES, MAX_DIRECTIVES and MAX_TOKENS, as `limits` sets them. */
export function queryLimits(limits: QueryLimitSettings, options: { hideSuggestions: boolean }): QueryLimits {
  const armor = new ApolloArmor({
    costLimit: {
      maxCost: limits.maxCost,
      ...refuseWith('QUERY_TOO_COMPLEX', limits.maxCost, (found, most) => `The operation's estimated cost is ${found}; at most ${most} is allowed. Select fewer fields or ask for smaller pages.`),
    },
    maxDepth: {
      n: limits.maxDepth,
      ...refuseWith('QUERY_TOO_DEEP', limits.maxDepth, (found, most) => `The operation nests fields ${found} levels deep; at most ${most} are allowed.`),
    },
    maxAliases: {
      n: limits.maxAliases,
      ...refuseWith('QUERY_TOO_MANY_ALIASES', limits.maxAliases, (found, most) => `The operation uses ${found} aliases; at most ${most} are allowed.`),
    },
    maxDirectives: {
      n: limits.maxDirectives,
      ...refuseWith('QUERY_TOO_MANY_DIRECTIVES', limits.maxDirectives, (found, most) => `The operation uses ${found} directives; at most ${most} are allowed.`),
    },
    // Armor counts tokens by parsing the document a second time in a `parsingDidStart` hook, where whatever its
    // parser throws (any syntax error, not only the limit) escapes Apollo's handling of parse errors and becomes an
    // HTTP 500. graphql-js's parser counts tokens itself (`parseOptions`): a refusal is then an ordinary parse error.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: options.hideSuggestions },
  });
  const protection = armor.protect();
  return {
    validationRules: protection.validationRules as ValidationRule[],
    parseOptions: { maxTokens: limits.maxTokens },
    plugins: protection.plugins,
  };
}

/**
 * How many items one call of `field` can return: its page (`first` as written, from the variables, or the argument's
 * default), or for Federation's `_entities` one per representation, since a subgraph resolves every one it is sent.
 */
function itemsPerCall(field: GraphQLField<unknown, unknown>, selection: FieldNode, variables: Record<string, unknown>): number {
  if (field.name === '_entities') {
    const node = selection.arguments?.find((argument) => argument.name.value === 'representations')?.value;
    const representations = node?.kind === Kind.VARIABLE ? variables[node.name.value] : node?.kind === Kind.LIST ? node.values : undefined;
    return Array.isArray(representations) ? Math.max(representations.length, 1) : 1;
  }
  const firstArgument = field.args.find((argument) => argument.name === 'first');
  if (!firstArgument) return 1;
  const node = selection.arguments?.find((argument) => argument.name.value === 'first');
  const value = node ? valueFromAST(node.value, firstArgument.type, variables) : firstArgument.defaultValue;
  return typeof value === 'number' && value > 1 ? value : 1;
}

/**
 * The most items an operation can ask for at once: the product of the `first` arguments along each path of nested
 * lists, with the values of its variables (or the arguments' defaults), `_entities` counting its representations.
 * The cost limit only sees `first` when it is written in the query, so `agencies(first: $a) { … trips(first: $t) … }`
 * would otherwise pass it whatever the variables say.
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
        const nested = product * itemsPerCall(field, selection, variables);
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
    `The nested pages of this operation could hold ${count(items)} items; at most ${count(maxItems)} are allowed. Ask for smaller pages.`,
    { limit: maxItems, actual: items },
  );
}

/** Refuses, before anything runs, an operation whose nested pages could hold more than `maxItems` items. */
export function listSizeLimitPlugin<TContext extends BaseContext>(maxItems: number): ApolloServerPlugin<TContext> {
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

function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/**
 * A graphql-ws subscribe message's document, parsed within the token limit, or the errors to answer it with: the
 * limit's QUERY_TOO_MANY_TOKENS, as over HTTP, or GRAPHQL_PARSE_FAILED.
 */
export function parseWithinLimits(query: string, maxTokens: number): DocumentNode | GraphQLError[] {
  try {
    return parse(query, { maxTokens });
  } catch (error) {
    if (!(error instanceof GraphQLError)) return [new GraphQLError('The query could not be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' satisfies ErrorCode } })];
    return [tokenLimitError(error) ?? withCode(error, 'GRAPHQL_PARSE_FAILED')];
  }
}

/**
 * The errors of a graphql-ws subscribe message's document against the schema and the query limits' rules: a query
 * limit keeps its own code (QUERY_TOO_DEEP…), as over HTTP; every other rule's error is a validation failure.
 */
export function validateWithinLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: { validationRules: readonly ValidationRule[]; hideSuggestions: boolean },
): GraphQLError[] {
  return validate(schema, document, [...specifiedRules, ...limits.validationRules]).map((error) => {
    const code = isQueryLimitCode(error.extensions.code) ? error.extensions.code : 'GRAPHQL_VALIDATION_FAILED';
    const message = limits.hideSuggestions ? error.message.replace(/ ?Did you mean .+\?$/, '') : error.message;
    return new GraphQLError(message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
  });
}
