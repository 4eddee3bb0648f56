import type { ApolloServerPlugin } from '@apollo/server';
import { PATIENT_DATA_COORDINATES } from '@medport/domain';
import { TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from './context.js';

/** Per parsed document (parsed documents are cached, so each is looked at once). */
const patientDataReads = new WeakMap<DocumentNode, boolean>();

/**
 * Whether an operation selects a field whose every read the hospital audits in the reader's name (through
 * fragments too). Such operations are never answered from another caller's work: not by a shared subscription,
 * not by a subgraph request in flight for someone else.
 */
export function selectsPatientData(schema: GraphQLSchema, document: DocumentNode): boolean {
  const known = patientDataReads.get(document);
  if (known !== undefined) return known;
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && PATIENT_DATA_COORDINATES.includes(`${parent.name}.${node.name.value}`)) found = true;
      },
    }),
  );
  patientDataReads.set(document, found);
  return found;
}

/**
 * Decides, once an operation is known, whether its subgraph requests may join identical ones in flight
 * (SubgraphDataSource): queries that select no patient data, and only with requests that started after the same
 * completed writes. Counting every completed mutation, whoever sent it, means a read sent after a write never gets
 * an answer fetched before it.
 */
export function subgraphSharingPlugin(): ApolloServerPlugin<GatewayContext> {
  let completedWrites = 0;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, contextValue }) {
          if (operation?.operation === 'query' && !selectsPatientData(schema, document)) contextValue.sharingEpoch = completedWrites;
        },
        async willSendResponse({ operation }) {
          if (operation?.operation === 'mutation') completedWrites++;
        },
      };
    },
  };
}
