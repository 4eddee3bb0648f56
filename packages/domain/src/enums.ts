/**
 * The enumerations of MedPort, defined once. Each subgraph renders the ones it uses into its SDL from these
 * lists (see @medport/graphql `enumTypeDefs`), so TypeScript types and GraphQL enums cannot drift apart, and
 * composition fails the build if two subgraphs ever disagree.
 */
export interface EnumDefinition<V extends string> {
  readonly name: string;
  readonly description: string;
  readonly values: Readonly<Record<V, string>>;
}

function defineEnum<V extends string>(name: string, description: string, values: Record<V, string>): EnumDefinition<V> {
  return Object.freeze({ name, description, values: Object.freeze(values) });
}

export const TransportStatusEnum = defineEnum('TransportStatus', 'Where a transport request is in its lifecycle.', {
  REQUESTED: 'Requested by the hospital and offered to agencies; no agency has accepted yet.',
  ACCEPTED: 'An agency accepted the trip.',
  ASSIGNED: 'The accepting agency assigned a unit.',
  EN_ROUTE: 'The unit is driving to the pickup facility.',
  AT_PICKUP: 'The unit arrived at the pickup facility.',
  TRANSPORTING: 'The patient is on board and on the way to the destination.',
  AT_DESTINATION: 'The unit arrived at the destination facility.',
  COMPLETED: 'Care was handed over at the destination; the trip is closed.',
  CANCELLED: 'Cancelled before completion, with a reason and the cancelling party.',
  EXPIRED: 'No agency accepted the trip before its response deadline.',
});
export type TransportStatus = keyof typeof TransportStatusEnum.values;

export const TransportLevelEnum = defineEnum('TransportLevel', 'The level of care a transport needs or a unit can give.', {
  BLS: 'Basic life support.',
  ALS: 'Advanced life support (paramedic).',
  CCT: 'Critical care transport (nurse or critical-care paramedic).',
  WHEELCHAIR_VAN: 'Non-emergency wheelchair van.',
});
export type TransportLevel = keyof typeof TransportLevelEnum.values;

export const TransportPriorityEnum = defineEnum('TransportPriority', 'How soon the patient must be moved.', {
  ROUTINE: 'Scheduled or non-urgent transfer.',
  URGENT: 'Needed within the next hours.',
  EMERGENT: 'Time-critical transfer; move as soon as possible.',
});
export type TransportPriority = keyof typeof TransportPriorityEnum.values;

export const SpecialRequirementEnum = defineEnum(
  'SpecialRequirement',
  'Equipment or care a trip needs and a unit can provide.',
  {
    OXYGEN: 'Supplemental oxygen.',
    CARDIAC_MONITOR: 'Continuous cardiac monitoring.',
    VENTILATOR: 'Mechanical ventilation.',
    IV_PUMPS: 'Infusion pumps.',
    BARIATRIC: 'Bariatric stretcher and crew.',
    ISOLATION: 'Infection isolation precautions.',
    NEONATAL: 'Neonatal incubator and team.',
    BEHAVIORAL_HEALTH: 'Behavioral health precautions.',
  },
);
export type SpecialRequirement = keyof typeof SpecialRequirementEnum.values;

export const CancellationPartyEnum = defineEnum('CancellationParty', 'Who cancelled a trip.', {
  HOSPITAL: 'The requesting hospital.',
  EMS: 'The assigned EMS agency.',
  CENTER: 'The transport center.',
});
export type CancellationParty = keyof typeof CancellationPartyEnum.values;

export const CancellationReasonEnum = defineEnum('CancellationReason', 'Why a trip was cancelled.', {
  PATIENT_CONDITION_CHANGED: 'The patient can no longer travel or no longer needs to.',
  PATIENT_DISCHARGED: 'The patient was discharged or left by other means.',
  DESTINATION_UNAVAILABLE: 'The receiving facility can no longer accept the patient.',
  NO_AGENCY_AVAILABLE: 'No agency could serve the trip.',
  DUPLICATE_REQUEST: 'The request duplicates another one.',
  SCHEDULING_CHANGE: 'The transfer was rescheduled.',
  OTHER: 'Another reason, described in the notes.',
});
export type CancellationReason = keyof typeof CancellationReasonEnum.values;

export const FacilityTypeEnum = defineEnum('FacilityType', 'The kind of facility a patient is moved from or to.', {
  ACUTE_CARE_HOSPITAL: 'Acute care hospital.',
  EMERGENCY_DEPARTMENT: 'Emergency department.',
  INTENSIVE_CARE: 'Intensive care unit.',
  SKILLED_NURSING: 'Skilled nursing facility.',
  REHABILITATION: 'Rehabilitation center.',
  DIALYSIS: 'Dialysis center.',
  IMAGING: 'Imaging center.',
  BEHAVIORAL_HEALTH: 'Behavioral health facility.',
});
export type FacilityType = keyof typeof FacilityTypeEnum.values;

export const UnitStatusEnum = defineEnum('UnitStatus', 'What an EMS unit is doing now.', {
  AVAILABLE: 'In service and free for a trip.',
  COMMITTED: 'Assigned to a trip, not yet moving.',
  EN_ROUTE: 'Driving to the pickup.',
  ON_SCENE: 'At the pickup facility.',
  TRANSPORTING: 'Carrying a patient.',
  AT_DESTINATION: 'At the destination facility.',
  RETURNING: 'Returning to base.',
  OUT_OF_SERVICE: 'Not available (maintenance, off shift).',
});
export type UnitStatus = keyof typeof UnitStatusEnum.values;

export const ResponseStatusEnum = defineEnum('ResponseStatus', "An agency's response to a trip offered to it.", {
  PENDING: 'Offered; the agency has not answered.',
  ACCEPTED: 'The agency accepted and won the trip.',
  DECLINED: 'The agency declined.',
  REJECTED: 'The agency accepted, but another agency won the trip.',
  EXPIRED: 'The offer ran out before the agency answered.',
  WITHDRAWN: 'The offer was withdrawn (the trip was cancelled).',
});
export type ResponseStatus = keyof typeof ResponseStatusEnum.values;

export const ResponseDecisionEnum = defineEnum('ResponseDecision', 'How an agency answers a trip offered to it.', {
  ACCEPT: 'Take the trip (the first agency to accept wins it).',
  DECLINE: 'Pass on the trip.',
});
export type ResponseDecision = keyof typeof ResponseDecisionEnum.values;

export const OfferChangeEnum = defineEnum('OfferChange', "What happened to a trip offered to an agency.", {
  OFFERED: 'The trip was offered to the agency; it may accept or decline.',
  WITHDRAWN: 'The offer ended before the agency answered; it can no longer accept the trip.',
});
export type OfferChange = keyof typeof OfferChangeEnum.values;

export const OfferEndReasonEnum = defineEnum('OfferEndReason', 'Why an offer ended before the agency answered it.', {
  TAKEN_BY_ANOTHER_AGENCY: 'Another agency accepted the trip first.',
  TRIP_CANCELLED: 'The hospital or the center cancelled the trip.',
  OFFER_EXPIRED: 'No agency accepted before the response deadline.',
  LEVEL_CHANGED: 'The trip now needs a level of care the agency does not provide.',
});
export type OfferEndReason = keyof typeof OfferEndReasonEnum.values;

export const ServiceStatusEnum = defineEnum('ServiceStatus', 'Whether an agency takes part in the network.', {
  ACTIVE: 'Takes part and receives offers.',
  SUSPENDED: 'Temporarily removed from the network.',
  PENDING: 'Registered, not yet active.',
});
export type ServiceStatus = keyof typeof ServiceStatusEnum.values;

export const UserRoleEnum = defineEnum('UserRole', 'What an account may do, and in which kind of tenant.', {
  HOSPITAL_ADMIN: 'Hospital administrator: manages facilities and agency preferences.',
  HOSPITAL_STAFF: 'Hospital coordinator: requests and follows transports.',
  EMS_ADMIN: 'EMS agency administrator: manages units and service areas.',
  EMS_DISPATCHER: 'EMS dispatcher: answers offers and assigns units.',
  EMS_CREW: 'EMS crew member: reports trip progress from the field.',
  CENTER_ADMIN: 'Transport center administrator: manages the network and accounts.',
  CENTER_STAFF: 'Transport center coordinator or analyst: reads everything.',
});
export type UserRole = keyof typeof UserRoleEnum.values;

export function enumValues<V extends string>(definition: EnumDefinition<V>): V[] {
  return Object.keys(definition.values) as V[];
}

export function isEnumValue<V extends string>(definition: EnumDefinition<V>, value: string): value is V {
  return Object.hasOwn(definition.values, value);
}

export const AuditOutcomeEnum = defineEnum('AuditOutcome', 'How an audited attempt ended.', {
  ALLOWED: 'The caller was allowed and the action happened.',
  DENIED: 'The caller was refused.',
  FAILED: 'The caller was allowed but the action failed (bad input, a conflict).',
});
export type AuditOutcome = keyof typeof AuditOutcomeEnum.values;
