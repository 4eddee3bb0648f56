import type { ApolloServerPlugin } from '@apollo/server';
import { bearerToken, unauthenticated, type TokenVerifier, type Viewer } from '@medport/auth';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { IncomingMessage } from 'node:http';

export interface Authentication {
  /** The caller, from a verified access token; null for an anonymous call or a token that failed. */
  viewer: Viewer | null;
  /**
   * Why the request's token was refused. It is raised as soon as the operation asks for anything but the public
   * fields: a client whose access token has expired must still be able to refresh it or sign in again.
   */
  authenticationError: GraphQLError | null;
}

/** Reads and verifies the request's bearer token. */
export async function authenticate(request: IncomingMessage, verifier: TokenVerifier): Promise<Authentication> {
  try {
    const header = request.headers.authorization;
    const token = bearerToken(Array.isArray(header) ? header[0] : header);
    return { viewer: token === null ? null : await verifier.verify(token), authenticationError: null };
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === 'UNAUTHENTICATED') return { viewer: null, authenticationError: error };
    throw error;
  }
}

/** The root field names an operation selects, through fragments, so none can hide behind a spread. */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map(
    document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
  );
  const names = new Set<string>();
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/**
 * Refuses an operation without a valid token unless every root field it selects is public (signing in, for
 * example). Runs after validation and before any resolver or subgraph call, so such a caller reaches no data,
 * `_entities` included.
 */
export function requireAuthenticationPlugin<TContext extends Authentication>(publicRootFields: readonly string[]): ApolloServerPlugin<TContext> {
  const allowed = new Set(['__typename', ...publicRootFields]);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operation }) {
          if (contextValue.viewer || !operation) return;
          for (const name of rootFieldNames(document, operation)) {
            if (!allowed.has(name)) throw contextValue.authenticationError ?? unauthenticated();
          }
        },
      };
    },
  };
}
