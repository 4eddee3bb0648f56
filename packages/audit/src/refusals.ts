import { getNamedType, GraphQLError, isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { AuditEntry, RequestAudit } from './writer.js';

/** Refusals whose DENIED row is already written where they were raised (`auditedChange`). */
const refusalsOnRecord = new WeakSet<object>();

/** Marks a refusal whose DENIED row its raiser wrote, so that `recordRefusalsOf` does not write a second one. */
export function refusalOnRecord(error: unknown): void {
  if (typeof error === 'object' && error !== null) refusalsOnRecord.add(error);
}

const isForbidden = (error: unknown): error is GraphQLError => error instanceof GraphQLError && error.extensions.code === 'FORBIDDEN';

/** `tripOffered` → `TRIP_OFFERED`, the form of every action in the trail. */
const constantCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** What was attempted, named as the trail names changes and reads: `READ_ANALYTICS`, `READ_AGENCY_PERFORMANCE`, `SUBSCRIBE_TRIP_OFFERED`. */
export interface RefusedAttempt {
  action: string;
  entityType: string;
  entityId: string | null;
}

/**
 * The attempt a field stands for. A root field is an operation of its own (`hospitalAuditTrail` →
 * READ_HOSPITAL_AUDIT_TRAIL of the records it would return, the one named by an `id` argument if any; a mutation
 * keeps the name its audited changes use). Any other field reads something of the record it belongs to
 * (`Agency.performance` → READ_AGENCY_PERFORMANCE of that agency).
 */
function attemptOf(source: unknown, args: Record<string, unknown>, info: GraphQLResolveInfo): RefusedAttempt {
  const { parentType, fieldName, schema } = info;
  const idOf = (value: unknown) => (typeof value === 'string' ? value : null);
  const field = constantCase(fieldName);
  const rootEntity = { entityType: getNamedType(info.returnType).name, entityId: idOf(args.id) };
  if (parentType === schema.getMutationType()) return { action: field, ...rootEntity };
  if (parentType === schema.getSubscriptionType()) return { action: `SUBSCRIBE_${field}`, ...rootEntity };
  if (parentType === schema.getQueryType()) return { action: `READ_${field}`, ...rootEntity };
  return { action: `READ_${constantCase(parentType.name)}_${field}`, entityType: parentType.name, entityId: idOf((source as { id?: unknown } | null)?.id) };
}

/**
 * Writes the DENIED row of a FORBIDDEN refusal (anything else is not a refusal, or is recorded where it was raised).
 * Settles once the row is stored, so that the caller is refused only once the refusal is on record; if the row
 * cannot be written, the failure is what the caller gets (a refusal must not go unrecorded, and the caller is
 * refused either way).
 */
export async function recordRefusal(audit: RequestAudit, error: unknown, attempt: RefusedAttempt, details: AuditEntry['details'] = {}): Promise<void> {
  if (isForbidden(error) && !refusalsOnRecord.has(error)) {
    await audit.record({ ...attempt, outcome: 'DENIED', details: { code: 'FORBIDDEN', ...details } });
  }
}

/**
 * Makes every FORBIDDEN refusal of `schema` leave its DENIED row, whichever resolver raised it: each field resolver
 * and subscription source is wrapped once here, where the schema is served, so that no read, subscription or change
 * can refuse a caller off the record by forgetting to write it. Changes record their refusals themselves, in
 * `auditedChange`, with the details of what was attempted; those are not recorded twice. Changes `schema` in place
 * (it is built for the one server that serves it) and returns it.
 */
export function recordRefusalsOf(schema: GraphQLSchema): GraphQLSchema {
  const recording = (resolve: GraphQLFieldResolver<unknown, { audit?: RequestAudit }>): GraphQLFieldResolver<unknown, { audit?: RequestAudit }> =>
    (source, args, context, info) => {
      const refused = async (error: unknown): Promise<never> => {
        if (context?.audit) await recordRefusal(context.audit, error, attemptOf(source, args, info));
        throw error;
      };
      let result: unknown;
      try {
        result = resolve(source, args, context, info);
      } catch (error) {
        return refused(error);
      }
      // Sync answers stay sync: only a promise can still turn into a refusal.
      return result instanceof Promise ? result.catch(refused) : result;
    };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      // Fields without a resolver read a property of their parent: they refuse nobody.
      if (field.resolve) field.resolve = recording(field.resolve);
      if (field.subscribe) field.subscribe = recording(field.subscribe);
    }
  }
  return schema;
}
