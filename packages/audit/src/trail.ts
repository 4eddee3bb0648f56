import { requireRole } from '@medport/auth';
import { label } from '@medport/database';
import type { AuditOutcome } from '@medport/domain';
import { badInput, cursorTime, isId, parsePage, requireTimeRange, toConnection, type PageArgs, type TimeRange } from '@medport/graphql';
import type { Viewer } from '@medport/auth';
import { parse, type DocumentNode } from 'graphql';
import type { Kysely } from 'kysely';
import type { AuditEntryRow } from './table.js';
import type { AuditDatabase } from './writer.js';

export interface AuditTrailFilter {
  entityId?: string | null;
  actorId?: string | null;
  action?: string | null;
  outcome?: AuditOutcome | null;
  occurred?: TimeRange | null;
}

/** One silo's audit trail, newest first, for center administrators. */
export async function listAuditTrail(db: Kysely<any>, viewer: Viewer | null, filter: AuditTrailFilter, args: PageArgs) {
  requireRole(viewer, ['CENTER_ADMIN'], 'read the audit trail');
  const range = requireTimeRange(filter.occurred ?? {}, 'filter.occurred');
  if (filter.actorId && !isId(filter.actorId)) throw badInput('`filter.actorId` is not a valid id.', 'filter.actorId');
  const page = parsePage(args);
  let query = (db as Kysely<AuditDatabase>).selectFrom('audit_log').selectAll();
  if (filter.entityId) query = query.where('entity_id', '=', filter.entityId);
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (range.from) query = query.where('occurred_at', '>=', range.from);
  if (range.to) query = query.where('occurred_at', '<=', range.to);
  if (page.after) {
    const time = cursorTime(page.after);
    const id = page.after.id;
    query = query.where((eb) => eb.or([eb('occurred_at', '<', time), eb.and([eb('occurred_at', '=', time), eb('id', '<', id)])]));
  }
  const rows = await query
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .modifyEnd(label('listAuditTrail'))
    .execute();
  return toConnection(rows, page, (row) => ({ key: row.occurred_at.toISOString(), id: row.id }));
}

/** The types of an audit trail; identical in every silo, so they are shareable. */
export const AUDIT_TYPE_DEFS = `
"One audited attempt to read or change a record: who, what, when, and how it ended."
type AuditRecord @shareable {
  id: ID!
  occurredAt: DateTime!
  actorId: ID
  actorRole: UserRole
  "The actor's hospital or agency."
  tenantId: ID
  "What was attempted, e.g. READ_PATIENT_DATA."
  action: String!
  entityType: String!
  entityId: String
  operationName: String
  requestId: String
  outcome: AuditOutcome!
  "References (ids, error codes) as JSON text; never patient data."
  details: String!
}

type AuditRecordConnection @shareable {
  edges: [AuditRecordEdge!]!
  nodes: [AuditRecord!]!
  pageInfo: PageInfo!
}

type AuditRecordEdge @shareable {
  cursor: String!
  node: AuditRecord!
}

"Narrows an audit trail; all given conditions must hold."
input AuditTrailFilter {
  entityId: String
  actorId: ID
  action: String
  outcome: AuditOutcome
  occurred: TimeRangeInput
}
`;

/**
 * The audit trail of one silo as a root field (`fieldName`, e.g. hospitalAuditTrail). Each silo keeps its own trail
 * so auditing goes on while another silo is down; center administrators read each through the gateway.
 */
export function auditTrailModule(fieldName: string, siloName: string): { typeDefs: DocumentNode; resolvers: object } {
  return {
    typeDefs: parse(`${AUDIT_TYPE_DEFS}
extend type Query {
  "The ${siloName} silo's audit trail, newest first. Center administrators only."
  ${fieldName}(filter: AuditTrailFilter, first: Int = 50, after: String): AuditRecordConnection!
}`),
    resolvers: {
      Query: {
        [fieldName]: (_: unknown, args: PageArgs & { filter?: AuditTrailFilter | null }, context: { db: Kysely<any>; viewer: Viewer | null }) =>
          listAuditTrail(context.db, context.viewer, args.filter ?? {}, args),
      },
      AuditRecord: {
        occurredAt: (row: AuditEntryRow) => row.occurred_at,
        actorId: (row: AuditEntryRow) => row.actor_id,
        actorRole: (row: AuditEntryRow) => row.actor_role,
        tenantId: (row: AuditEntryRow) => row.tenant_id,
        entityType: (row: AuditEntryRow) => row.entity_type,
        entityId: (row: AuditEntryRow) => row.entity_id,
        operationName: (row: AuditEntryRow) => row.operation_name,
        requestId: (row: AuditEntryRow) => row.request_id,
        details: (row: AuditEntryRow) => JSON.stringify(row.details),
      },
    },
  };
}
