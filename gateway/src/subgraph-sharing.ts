import type { ApolloServerPlugin } from '@apollo/server';
import { PATIENT_DATA_COORDINATES } from '@medport/domain';
import { getNamedType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from './context.js';

/** Per parsed document (parsed documents are cached, so each is looked at once). */
const patientDataReads = new WeakMap<DocumentNode, boolean>();
const shareableQueries = new WeakMap<DocumentNode, boolean>();

/** Visits every field an operation selects (through fragments too), with the type it belongs to. */
function someField(schema: GraphQLSchema, document: DocumentNode, test: (parentType: string, field: string, typeInfo: TypeInfo) => boolean): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!found && parent && test(parent.name, node.name.value, typeInfo)) found = true;
      },
    }),
  );
  return found;
}

/**
 * Whether an operation selects a field whose every read the hospital audits in the reader's name. Such operations
 * are never answered from another caller's work: not by a shared subscription, not by a subgraph request in flight
 * for someone else.
 */
export function selectsPatientData(schema: GraphQLSchema, document: DocumentNode): boolean {
  let known = patientDataReads.get(document);
  if (known === undefined) {
    known = someField(schema, document, (parent, field) => PATIENT_DATA_COORDINATES.includes(`${parent}.${field}`));
    patientDataReads.set(document, known);
  }
  return known;
}

/** Where trips come from the hospital's own lists, read in the caller's scope: nothing is looked up by id. */
const TRIP_LISTS = new Set(['TransportRequestConnection', 'TransportRequestEdge']);

/**
 * Whether a query's subgraph requests may be shared with the same caller's identical ones in flight: it reads no
 * patient data, and it reaches no trip by id (`transportRequest(id:)`, or a trip another silo refers to), because
 * the hospital records each refused lookup of a trip, and a shared request would leave one record for many.
 */
export function mayShareSubgraphRequests(schema: GraphQLSchema, document: DocumentNode): boolean {
  let known = shareableQueries.get(document);
  if (known === undefined) {
    known =
      !selectsPatientData(schema, document) &&
      !someField(schema, document, (parent, _field, typeInfo) => {
        const type = typeInfo.getType();
        return type != null && getNamedType(type).name === 'TransportRequest' && !TRIP_LISTS.has(parent);
      });
    shareableQueries.set(document, known);
  }
  return known;
}

/**
 * The changes this gateway has seen: mutations it ran (counted as they start and as they end) and events its live
 * subscriptions received. A query shares subgraph requests only with requests that started after the same count,
 * so a read sent after a write or after a change event never gets an answer fetched before it. (Changes made
 * through another gateway instance are not counted; the window is one subgraph request's time.)
 */
export class ChangeCounter {
  value = 0;
  advance(): void {
    this.value++;
  }
}

/** Decides, once an operation is known, whether its subgraph requests may join identical ones in flight (SubgraphDataSource). */
export function subgraphSharingPlugin(changes: ChangeCounter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, contextValue }) {
          if (operation?.operation === 'mutation') changes.advance();
          // Only a signed-in caller's queries: their Authorization header is part of what a shared request is keyed by.
          if (operation?.operation === 'query' && contextValue.viewer && contextValue.authorization && mayShareSubgraphRequests(schema, document)) {
            contextValue.sharingEpoch = changes.value;
          }
        },
        async willSendResponse({ operation }) {
          if (operation?.operation === 'mutation') changes.advance();
        },
      };
    },
  };
}
