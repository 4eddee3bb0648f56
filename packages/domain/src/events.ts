import type {
  CancellationParty,
  OfferEndReason,
  CancellationReason,
  ServiceStatus,
  SpecialRequirement,
  TransportLevel,
  TransportPriority,
  TransportStatus,
  UserRole,
} from './enums.js';

/**
 * Who a feature toggle is on for. Each list that is not empty narrows it: `roles` to people of those roles (a
 * decision about a whole hospital or agency, such as how its trip is dispatched, matches when a role of its kind is
 * listed), `tenantIds` to those hospitals and agencies. `exceptTenantIds` turns it off for those tenants whatever
 * else says. All empty: on for everyone.
 */
export interface FeatureToggleTarget {
  roles: UserRole[];
  tenantIds: string[];
  exceptTenantIds: string[];
}

/**
 * The events the silos exchange, one contract per type. Producers write them to their outbox in the transaction
 * of the change; consumers in the other silos apply them. Payloads carry ids, times and what a consumer needs to
 * act, never patient data: patient references stay in the hospital silo. Times are ISO-8601 strings.
 *
 * A contract only ever gains optional fields: events already in an outbox must stay readable by newer consumers.
 */
export interface EventContracts {
  /** hospital: a transport request was created and must be offered to agencies. */
  TripRequested: {
    tripId: string;
    hospitalId: string;
    originFacilityId: string;
    destinationFacilityId: string;
    /** Where the patient is picked up, for agencies' service areas. */
    origin: { latitude: number; longitude: number };
    transportLevel: TransportLevel;
    priority: TransportPriority;
    specialRequirements: SpecialRequirement[];
    requestedAt: string;
    scheduledPickupAt: string | null;
    /** Agencies must accept before this instant, otherwise the trip ends EXPIRED. */
    responseDeadline: string;
    /** The requesting hospital's active preferred agencies, most preferred first. */
    preferredAgencyIds: string[];
    createdById: string | null;
  };
  /** hospital: the plan of a trip changed (destination, level, priority, requirements, schedule). */
  TripPlanChanged: {
    tripId: string;
    hospitalId: string;
    /** The hospital's version of the trip; a consumer ignores a plan older than the one it holds. */
    version: number;
    destinationFacilityId: string;
    transportLevel: TransportLevel;
    priority: TransportPriority;
    specialRequirements: SpecialRequirement[];
    scheduledPickupAt: string | null;
  };
  /**
   * hospital: the transport request reached a new status. The hospital owns a trip's status, so this is the
   * authoritative record every other silo follows, whoever caused the change.
   */
  TripStatusChanged: {
    tripId: string;
    hospitalId: string;
    status: TransportStatus;
    previousStatus: TransportStatus;
    occurredAt: string;
    agencyId: string | null;
    unitId: string | null;
    cancellation: { reason: CancellationReason; party: CancellationParty } | null;
  };
  /** ems: a trip was offered to these agencies (in the order they were chosen). */
  TripOffered: {
    tripId: string;
    hospitalId: string;
    agencyIds: string[];
    offeredAt: string;
  };
  /**
   * ems: offers of a trip ended before these agencies answered them (another agency took the trip, the trip was
   * cancelled or expired, or its level changed). Agencies' apps learn from it that they can no longer accept.
   */
  TripOffersEnded: {
    tripId: string;
    agencyIds: string[];
    reason: OfferEndReason;
    endedAt: string;
  };
  /** ems: an agency answered an offer. */
  TripResponded: {
    tripId: string;
    agencyId: string;
    decision: 'ACCEPTED' | 'DECLINED';
    etaMinutes: number | null;
    declineReason: string | null;
    respondedAt: string;
  };
  /**
   * ems: the trip moved on the agency's side: accepted (the race is decided in ems), unit assigned, crew
   * progress, or the offer expired unanswered. The hospital applies it to the transport request.
   */
  TripProgressReported: {
    tripId: string;
    status: TransportStatus;
    agencyId: string | null;
    unitId: string | null;
    occurredAt: string;
    etaMinutes: number | null;
    reportedById: string | null;
  };
  /** center: an agency was added to the network; ems creates its record, hospitals may prefer it. */
  ServiceRegistered: {
    agencyId: string;
    registrationId: string;
    name: string;
    status: ServiceStatus;
    levels: TransportLevel[];
    equipment: SpecialRequirement[];
    phone: string | null;
    email: string | null;
    contactName: string | null;
    address: { line: string; city: string; state: string; postalCode: string };
    serviceArea: { name: string; latitude: number; longitude: number; radiusKm: number } | null;
    registeredById: string | null;
    registeredAt: string;
  };
  /** center: an agency was suspended or reactivated; ems offers it nothing while suspended, hospitals see it. */
  ServiceStatusChanged: {
    agencyId: string;
    registrationId: string;
    status: ServiceStatus;
    previousStatus: ServiceStatus;
    changedById: string | null;
    changedAt: string;
  };
  /**
   * center: a network setting that another silo applies was changed (today `dispatch.responseDeadlineMinutes`,
   * which the hospital stamps on the response deadline of new trips). `value` is the setting's value as the
   * center's registry types it; null when the setting no longer applies and the silo goes back to its own default.
   * A silo keeps the latest by `changedAt`.
   */
  SystemSettingChanged: {
    key: string;
    value: string | number | boolean | null;
    changedById: string | null;
    changedAt: string;
  };
  /**
   * center: a session's access tokens stopped being valid before they expire (it was signed out, its refresh token
   * presented twice, or its account deactivated). Every silo refuses tokens naming it (`sid`) from then on.
   */
  AccessRevoked: {
    userId: string;
    sessionId: string;
    revokedAt: string;
  };
  /** center: a feature toggle was switched or retargeted; the silos that honour it keep the latest by `changedAt`. */
  FeatureToggleChanged: {
    name: string;
    isEnabled: boolean;
    target: FeatureToggleTarget;
    changedById: string | null;
    changedAt: string;
  };
}

export type EventType = keyof EventContracts;

/** The settings other silos apply, by the key SystemSettingChanged names them with. */
export const ANNOUNCED_SETTING_KEYS = {
  /** Whole minutes agencies have to accept an offer; the hospital stamps it on each new trip's response deadline. */
  responseDeadlineMinutes: 'dispatch.responseDeadlineMinutes',
} as const;

/** The feature toggles other silos honour, by the name FeatureToggleChanged names them with. */
export const ANNOUNCED_FEATURE_TOGGLES = {
  /** ems offers a new trip beyond the requesting hospital's preferred agencies, to those covering the pickup. */
  geographicOffers: 'dispatch.geographicOffers',
} as const;

export const EVENT_TYPES = [
  'TripRequested',
  'TripPlanChanged',
  'TripStatusChanged',
  'TripOffered',
  'TripOffersEnded',
  'TripResponded',
  'TripProgressReported',
  'ServiceRegistered',
  'ServiceStatusChanged',
  'SystemSettingChanged',
  'FeatureToggleChanged',
  'AccessRevoked',
] as const satisfies readonly EventType[];

/** The silo whose outbox each event type is written to. */
export const EVENT_PRODUCER = {
  TripRequested: 'hospital',
  TripPlanChanged: 'hospital',
  TripStatusChanged: 'hospital',
  TripOffered: 'ems',
  TripOffersEnded: 'ems',
  TripResponded: 'ems',
  TripProgressReported: 'ems',
  ServiceRegistered: 'center',
  ServiceStatusChanged: 'center',
  SystemSettingChanged: 'center',
  FeatureToggleChanged: 'center',
  AccessRevoked: 'center',
} as const satisfies Record<EventType, 'hospital' | 'ems' | 'center'>;

/**
 * Payload fields the hospital treats as patient data (its reads of them are audited). Views that show events to
 * operators leave them out, so those views need no audit of their own.
 */
export const PATIENT_DATA_FIELDS: readonly string[] = ['specialRequirements'];

/**
 * The fields of the supergraph whose every read the hospital audits in the reader's name (`Type.field`). The
 * gateway shares one live subscription among callers of the same role and tenant only when they select none of
 * these, so that each read of patient data stays on record for the person who received it.
 */
export const PATIENT_DATA_COORDINATES: readonly string[] = [
  'TransportRequest.patientReference',
  'TransportRequest.specialRequirements',
  'TransportRequest.notes',
  'TripHistoryEntry.notes',
  'Cancellation.notes',
  'TripOffer.specialRequirements',
];
