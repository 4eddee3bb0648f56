import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { findRefusedText, REFUSED_TEXT_RULE, refusedCharacterIn, type RefusedText } from '@medport/domain';
import { userError } from '@medport/graphql';
import { Kind, visit, type DocumentNode, type GraphQLError, type ValueNode } from 'graphql';

// Text no service can store or should show (see `refusedCharacterIn`) is refused where a request enters, before
// anything runs: otherwise each resolver would have to remember it, and the one that forgets answers
// INTERNAL_SERVER_ERROR (PostgreSQL refuses NUL) or silently stores U+FFFD for an unpaired surrogate. The gateway
// and every subgraph run the same check, so a request sent straight to a subgraph meets it too.

const refusal = (message: string, field: string | undefined) => userError('BAD_USER_INPUT', `${message}; ${REFUSED_TEXT_RULE}.`, field ? { field } : {});

/** The first refused text in a literal of the document, with its path below the argument (`input.address.city`). */
function refusedTextInLiteral(value: ValueNode, path: string): RefusedText | null {
  const pending: [ValueNode, string][] = [[value, path]];
  while (pending.length > 0) {
    const [node, at] = pending.pop()!;
    if (node.kind === Kind.STRING) {
      const problem = refusedCharacterIn(node.value);
      if (problem) return { path: at, problem };
    } else if (node.kind === Kind.LIST) {
      node.values.forEach((item, index) => pending.push([item, `${at}[${index}]`]));
    } else if (node.kind === Kind.OBJECT) {
      for (const field of node.fields) pending.push([field.value, `${at}.${field.name.value}`]);
    }
  }
  return null;
}

/**
 * BAD_USER_INPUT for the first refused text of a GraphQL request, or null: in its variables (named by variable and
 * path, `$input.address.city`) or in a string literal of its document (named by argument and path). Block strings
 * and raw control characters never get this far: the parser refuses them.
 */
export function refusedTextOfOperation(document: DocumentNode, variables: Readonly<Record<string, unknown>> | null | undefined): GraphQLError | null {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const nameProblem = refusedCharacterIn(name);
    if (nameProblem) return refusal(`A variable's name holds ${nameProblem}`, undefined);
    const found = findRefusedText(value);
    if (found) return refusal(`\`$${name}${found.path}\` holds ${found.problem}`, `${name}${found.path}`);
  }
  let refused: GraphQLError | null = null;
  visit(document, {
    Argument(argument, _key, _parent, _path, ancestors) {
      const found = refusedTextInLiteral(argument.value, argument.name.value);
      if (found) {
        const owner = ancestors[ancestors.length - 1];
        const of = owner && 'kind' in owner && (owner.kind === Kind.FIELD || owner.kind === Kind.DIRECTIVE) ? ` of \`${owner.kind === Kind.DIRECTIVE ? '@' : ''}${owner.name.value}\`` : '';
        refused ??= refusal(`Argument \`${found.path}\`${of} holds ${found.problem}`, found.path);
      }
      return false;
    },
    VariableDefinition(definition) {
      const found = definition.defaultValue && refusedTextInLiteral(definition.defaultValue, `$${definition.variable.name.value}`);
      if (found) refused ??= refusal(`The default value \`${found.path}\` holds ${found.problem}`, found.path.slice(1));
    },
  });
  return refused;
}

/**
 * Refuses an operation whose variables or string literals hold refused text, as BAD_USER_INPUT and before any
 * resolver or subgraph call.
 */
export function refusedTextPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const refused = refusedTextOfOperation(document, request.variables);
          // Apollo answers an error thrown here with HTTP 500 unless it names a status.
          if (refused) throw userError('BAD_USER_INPUT', refused.message, { ...refused.extensions, http: { status: 400 } });
        },
      };
    },
  };
}

/** BAD_USER_INPUT for the first query parameter of a URL whose name or value holds refused text, or null. */
export function refusedTextOfQuery(url: URL): GraphQLError | null {
  for (const [name, value] of url.searchParams) {
    const nameProblem = refusedCharacterIn(name);
    if (nameProblem) return refusal(`A query parameter's name holds ${nameProblem}`, undefined);
    const problem = refusedCharacterIn(value);
    if (problem) return refusal(`Query parameter \`${name}\` holds ${problem}`, name);
  }
  return null;
}
