import { forbidden, isCenterStaff, isHospitalUser, requireViewer, type Viewer } from '@medport/auth';
import { notFound } from '@medport/graphql';
import type { GraphQLError } from 'graphql';

/**
 * Whose units (with their availability), service areas and routes a caller sees. Agencies themselves are a
 * directory every signed-in caller reads; what an agency runs is operational detail of one tenant.
 */
export type AgencyReach =
  | { readonly kind: 'ALL' }
  | { readonly kind: 'AGENCY'; readonly agencyId: string }
  /** A tenant account whose token names no tenant: it sees no tenant's records. */
  | { readonly kind: 'NONE' };

/** Whose answers to trips a caller sees: an agency its own, a hospital those to its own trips. */
export type ResponseReach = AgencyReach | { readonly kind: 'HOSPITAL'; readonly hospitalId: string };

/**
 * What one caller may see in the ems silo. Repositories turn it into SQL conditions, so a record outside it is
 * absent from lists (and pages stay full), null as an entity, and NOT_FOUND by id, exactly like an unknown id.
 */
export interface EmsScope {
  readonly agencyRecords: AgencyReach;
  readonly responses: ResponseReach;
}

const ALL = { kind: 'ALL' } as const;
const NONE = { kind: 'NONE' } as const;

export function emsScopeOf(viewer: Viewer): EmsScope {
  // Center staff run the network and read all of it.
  if (isCenterStaff(viewer)) return { agencyRecords: ALL, responses: ALL };
  // Hospitals see every unit (the number and level of the one serving their trip), but only the answers to
  // their own trips: another hospital's trips, and what agencies answered them, are none of their business.
  if (isHospitalUser(viewer)) {
    return { agencyRecords: ALL, responses: viewer.hospitalId ? { kind: 'HOSPITAL', hospitalId: viewer.hospitalId } : NONE };
  }
  // Agencies compete for trips: one agency's fleet, coverage and bids are hidden from the others.
  const own: AgencyReach = viewer.agencyId ? { kind: 'AGENCY', agencyId: viewer.agencyId } : NONE;
  return { agencyRecords: own, responses: own };
}

/** The scope of a request's caller (anonymous calls never reach a resolver that asks). */
export function scopeOf(context: { viewer: Viewer | null }): EmsScope {
  return emsScopeOf(requireViewer(context.viewer));
}

/** Whether a record owned by `agencyId` is within reach. */
export function reaches(reach: AgencyReach, agencyId: string): boolean {
  if (reach.kind === 'ALL') return true;
  return reach.kind === 'AGENCY' && reach.agencyId === agencyId.toLowerCase();
}

/**
 * Center administrators act for any agency, an agency's accounts for their own only. Every agency is in the
 * directory all callers read, so naming another one hides nothing: it is a FORBIDDEN operation, not NOT_FOUND.
 */
export function requireActingFor(viewer: Viewer, agencyId: string, message: string): void {
  if (viewer.role !== 'CENTER_ADMIN' && agencyId.toLowerCase() !== viewer.agencyId) throw forbidden(message);
}

const hiddenRecords = new WeakSet<GraphQLError>();

/**
 * The NOT_FOUND of a record that exists but lies outside the caller's scope: to the caller it is the very error
 * of an unknown id; the audit trail alone records it as a refused attempt.
 */
export function hiddenRecord(typename: string, id: string): GraphQLError {
  const error = notFound(typename, id);
  hiddenRecords.add(error);
  return error;
}

export function isHiddenRecord(error: unknown): boolean {
  return typeof error === 'object' && error !== null && hiddenRecords.has(error as GraphQLError);
}
