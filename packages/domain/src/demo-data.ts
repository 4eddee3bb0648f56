/**
 * MedPort's demo network, generated deterministically. Every silo seeds its own part from the same generator, so
 * ids and facts agree across silos without any silo reading another's database.
 */
import type {
  CancellationParty,
  CancellationReason,
  FacilityType,
  SpecialRequirement,
  TransportLevel,
  TransportPriority,
  TransportStatus,
  UnitStatus,
  UserRole,
} from './enums.js';
import { stableId } from './ids.js';

export const DEMO_PASSWORD = 'medport-demo';

export interface DemoHospital {
  id: string;
  slug: string;
  name: string;
  addressLine: string;
  city: string;
  state: string;
  postalCode: string;
  contactName: string;
  phone: string;
  email: string;
}

export interface DemoFacility {
  id: string;
  hospitalId: string;
  name: string;
  type: FacilityType;
  addressLine: string;
  city: string;
  state: string;
  postalCode: string;
  latitude: number;
  longitude: number;
  phone: string;
  capabilities: SpecialRequirement[];
}

export interface DemoAgency {
  id: string;
  slug: string;
  name: string;
  contactName: string;
  phone: string;
  email: string;
  addressLine: string;
  city: string;
  state: string;
  postalCode: string;
  levels: TransportLevel[];
  equipment: SpecialRequirement[];
  base: { latitude: number; longitude: number };
  serviceRadiusKm: number;
}

export interface DemoUnit {
  id: string;
  agencyId: string;
  unitNumber: string;
  level: TransportLevel;
  capabilities: SpecialRequirement[];
  status: UnitStatus;
  latitude: number;
  longitude: number;
  shiftStart: string;
  shiftEnd: string;
}

export interface DemoUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  hospitalId: string | null;
  agencyId: string | null;
}

export interface DemoResponse {
  agencyId: string;
  status: 'ACCEPTED' | 'DECLINED' | 'REJECTED' | 'EXPIRED' | 'WITHDRAWN' | 'PENDING';
  etaMinutes: number | null;
  respondedAt: Date | null;
  declineReason: string | null;
}

export interface DemoTrip {
  id: string;
  hospitalId: string;
  patientReference: string;
  originFacilityId: string;
  destinationFacilityId: string;
  transportLevel: TransportLevel;
  priority: TransportPriority;
  specialRequirements: SpecialRequirement[];
  status: TransportStatus;
  /** One entry per status the trip went through, in order, starting with REQUESTED. */
  milestones: { status: TransportStatus; at: Date }[];
  scheduledPickupAt: Date | null;
  responseDeadline: Date;
  assignedAgencyId: string | null;
  assignedUnitId: string | null;
  createdById: string;
  cancellation: { reason: CancellationReason; party: CancellationParty; notes: string | null } | null;
  offeredAgencyIds: string[];
  responses: DemoResponse[];
}

export interface DemoPreference {
  hospitalId: string;
  agencyId: string;
  preferenceOrder: number;
}

export interface DemoNetwork {
  hospitals: DemoHospital[];
  facilities: DemoFacility[];
  agencies: DemoAgency[];
  units: DemoUnit[];
  users: DemoUser[];
  preferences: DemoPreference[];
  trips: DemoTrip[];
}

/** mulberry32: a tiny seeded PRNG so the demo network is the same on every machine and in every silo. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSPITALS = [
  { name: 'Riverside General Hospital', city: 'Pittsburgh', street: '1200 River Ave', lat: 40.4465, lon: -80.0128 },
  { name: 'St. Agnes Medical Center', city: 'Pittsburgh', street: '500 Grant Blvd', lat: 40.4387, lon: -79.9559 },
  { name: 'Lakeview Regional Health', city: 'Monroeville', street: '88 Lakeview Dr', lat: 40.4212, lon: -79.7881 },
  { name: 'Northside Community Hospital', city: 'Cranberry Township', street: '31 Freedom Rd', lat: 40.6848, lon: -80.1073 },
];

const FACILITY_PLANS: { suffix: string; type: FacilityType; capabilities: SpecialRequirement[] }[] = [
  { suffix: 'Main Campus', type: 'ACUTE_CARE_HOSPITAL', capabilities: ['OXYGEN', 'CARDIAC_MONITOR', 'VENTILATOR', 'IV_PUMPS'] },
  { suffix: 'Emergency Department', type: 'EMERGENCY_DEPARTMENT', capabilities: ['OXYGEN', 'CARDIAC_MONITOR'] },
  { suffix: 'Intensive Care Tower', type: 'INTENSIVE_CARE', capabilities: ['VENTILATOR', 'IV_PUMPS', 'ISOLATION'] },
  { suffix: 'Rehabilitation Pavilion', type: 'REHABILITATION', capabilities: ['BARIATRIC'] },
  { suffix: 'Skilled Nursing Residence', type: 'SKILLED_NURSING', capabilities: ['OXYGEN'] },
];

const AGENCIES: { name: string; city: string; lat: number; lon: number; levels: TransportLevel[] }[] = [
  { name: 'Allegheny Valley EMS', city: 'Pittsburgh', lat: 40.4406, lon: -79.9959, levels: ['BLS', 'ALS', 'CCT'] },
  { name: 'Three Rivers Ambulance', city: 'Pittsburgh', lat: 40.4562, lon: -79.9312, levels: ['BLS', 'ALS'] },
  { name: 'Eastern Gateway Medical Transport', city: 'Monroeville', lat: 40.4284, lon: -79.7598, levels: ['BLS', 'WHEELCHAIR_VAN'] },
  { name: 'Northern Tier Critical Care', city: 'Wexford', lat: 40.6262, lon: -80.0556, levels: ['ALS', 'CCT'] },
  { name: 'Keystone Mobility Services', city: 'Bethel Park', lat: 40.3276, lon: -80.0395, levels: ['BLS', 'WHEELCHAIR_VAN'] },
];

const LEVEL_EQUIPMENT: Record<TransportLevel, SpecialRequirement[]> = {
  BLS: ['OXYGEN', 'BARIATRIC'],
  ALS: ['OXYGEN', 'CARDIAC_MONITOR', 'IV_PUMPS'],
  CCT: ['OXYGEN', 'CARDIAC_MONITOR', 'IV_PUMPS', 'VENTILATOR', 'ISOLATION', 'NEONATAL'],
  WHEELCHAIR_VAN: [],
};

const CANCEL_REASONS: CancellationReason[] = [
  'PATIENT_CONDITION_CHANGED',
  'PATIENT_DISCHARGED',
  'DESTINATION_UNAVAILABLE',
  'NO_AGENCY_AVAILABLE',
  'DUPLICATE_REQUEST',
  'SCHEDULING_CHANGE',
];

const FORWARD: TransportStatus[] = ['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'];

/** Minutes from the previous milestone to each status, as [min, max]. */
const STEP_MINUTES: Record<string, [number, number]> = {
  ACCEPTED: [2, 45],
  ASSIGNED: [2, 15],
  EN_ROUTE: [1, 8],
  AT_PICKUP: [8, 45],
  TRANSPORTING: [10, 30],
  AT_DESTINATION: [12, 70],
  COMPLETED: [8, 25],
};

const MINUTE = 60_000;
export const DEMO_TRIP_COUNT = 320;

/**
 * Builds the demo network relative to `now`, so open trips are recent whenever the demo starts. `tripCount` grows
 * the history for load tests (DEMO_TRIPS); every silo must build it with the same count.
 */
export function buildDemoNetwork(now: Date = new Date(), tripCount: number = DEMO_TRIP_COUNT): DemoNetwork {
  const random = seededRandom(20261121);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const jitter = (value: number, spread: number) => Math.round((value + (random() - 0.5) * spread) * 1e5) / 1e5;

  const hospitals: DemoHospital[] = HOSPITALS.map((plan, index) => {
    const slug = `hospital-${index + 1}`;
    return {
      id: stableId(slug),
      slug,
      name: plan.name,
      addressLine: plan.street,
      city: plan.city,
      state: 'PA',
      postalCode: `15${200 + index * 7}`,
      contactName: `Transfer Center ${index + 1}`,
      phone: `+1-412-555-01${10 + index}`,
      email: `transfers@${slug}.demo`,
    };
  });

  const facilities: DemoFacility[] = hospitals.flatMap((hospital, hospitalIndex) => {
    const plan = HOSPITALS[hospitalIndex]!;
    const count = hospitalIndex < 2 ? 5 : 3 + (hospitalIndex % 2);
    return FACILITY_PLANS.slice(0, count).map((facility, facilityIndex) => ({
      id: stableId(`${hospital.slug}/facility-${facilityIndex + 1}`),
      hospitalId: hospital.id,
      name: `${hospital.name.split(' ').slice(0, 2).join(' ')} ${facility.suffix}`,
      type: facility.type,
      addressLine: `${100 + facilityIndex * 20} ${plan.street.split(' ').slice(1).join(' ')}`,
      city: plan.city,
      state: 'PA',
      postalCode: hospital.postalCode,
      latitude: jitter(plan.lat, 0.02),
      longitude: jitter(plan.lon, 0.02),
      phone: `+1-412-555-${String(2000 + hospitalIndex * 10 + facilityIndex)}`,
      capabilities: facility.capabilities,
    }));
  });

  const agencies: DemoAgency[] = AGENCIES.map((plan, index) => {
    const slug = `agency-${index + 1}`;
    return {
      id: stableId(slug),
      slug,
      name: plan.name,
      contactName: `Dispatch Supervisor ${index + 1}`,
      phone: `+1-412-555-03${10 + index}`,
      email: `dispatch@${slug}.demo`,
      addressLine: `${10 + index * 11} Station Rd`,
      city: plan.city,
      state: 'PA',
      postalCode: `15${100 + index * 9}`,
      levels: [...plan.levels],
      equipment: [...new Set(plan.levels.flatMap((level) => LEVEL_EQUIPMENT[level]))],
      base: { latitude: plan.lat, longitude: plan.lon },
      serviceRadiusKm: 25 + index * 5,
    };
  });

  const units: DemoUnit[] = [];
  /** A new unit of the agency, numbered after its others. */
  const addUnit = (agency: DemoAgency, level: TransportLevel): DemoUnit => {
    const number = units.filter((unit) => unit.agencyId === agency.id).length + 1;
    const unit: DemoUnit = {
      id: stableId(`${agency.slug}/unit-${number}`),
      agencyId: agency.id,
      unitNumber: `${agency.name.split(' ').map((word) => word[0]).join('').slice(0, 3)}-${level === 'WHEELCHAIR_VAN' ? 'WV' : level}-${String(number).padStart(2, '0')}`,
      level,
      capabilities: LEVEL_EQUIPMENT[level],
      status: 'AVAILABLE',
      latitude: jitter(agency.base.latitude, 0.05),
      longitude: jitter(agency.base.longitude, 0.05),
      shiftStart: number % 2 === 1 ? '07:00' : '19:00',
      shiftEnd: number % 2 === 1 ? '19:00' : '07:00',
    };
    units.push(unit);
    return unit;
  };
  for (const agency of agencies) for (const level of agency.levels) for (let count = 0; count < 3; count++) addUnit(agency, level);

  const user = (email: string, name: string, role: UserRole, hospitalId: string | null, agencyId: string | null): DemoUser => ({
    id: stableId(`user/${email}`),
    email,
    name,
    role,
    hospitalId,
    agencyId,
  });
  const users: DemoUser[] = [
    user('admin@center.demo', 'Casey Center-Admin', 'CENTER_ADMIN', null, null),
    user('analyst@center.demo', 'Avery Analyst', 'CENTER_STAFF', null, null),
    ...hospitals.flatMap((hospital, index) => [
      user(`coordinator@${hospital.slug}.demo`, `Jordan Coordinator ${index + 1}`, 'HOSPITAL_STAFF', hospital.id, null),
      user(`admin@${hospital.slug}.demo`, `Morgan Hospital-Admin ${index + 1}`, 'HOSPITAL_ADMIN', hospital.id, null),
    ]),
    ...agencies.flatMap((agency, index) => [
      user(`dispatcher@${agency.slug}.demo`, `Riley Dispatcher ${index + 1}`, 'EMS_DISPATCHER', null, agency.id),
      user(`crew@${agency.slug}.demo`, `Sam Crew ${index + 1}`, 'EMS_CREW', null, agency.id),
      user(`admin@${agency.slug}.demo`, `Drew Agency-Admin ${index + 1}`, 'EMS_ADMIN', null, agency.id),
    ]),
  ];

  const preferences: DemoPreference[] = hospitals.flatMap((hospital, index) =>
    [0, 1, 2].map((offset) => ({
      hospitalId: hospital.id,
      agencyId: agencies[(index + offset) % agencies.length]!.id,
      preferenceOrder: offset + 1,
    })),
  );

  const coordinators = new Map(users.filter((u) => u.role === 'HOSPITAL_STAFF').map((u) => [u.hospitalId!, u.id]));
  const busyUnits = new Set<string>();
  const trips: DemoTrip[] = [];
  for (let index = 0; index < tripCount; index++) {
    const hospital = hospitals[index % hospitals.length]!;
    const ownFacilities = facilities.filter((facility) => facility.hospitalId === hospital.id);
    const origin = pick(ownFacilities);
    const destination = pick(facilities.filter((facility) => facility.id !== origin.id));
    const transportLevel = pick<TransportLevel>(['BLS', 'BLS', 'BLS', 'ALS', 'ALS', 'CCT', 'WHEELCHAIR_VAN']);
    const priority = pick<TransportPriority>(['ROUTINE', 'ROUTINE', 'ROUTINE', 'URGENT', 'URGENT', 'EMERGENT']);
    const needs = LEVEL_EQUIPMENT[transportLevel];
    const specialRequirements = needs.filter(() => random() < 0.3);

    // The newest 40 trips are still moving; older ones have reached an end. Every status appears.
    const open = index >= tripCount - 40;
    const roll = random();
    let target: TransportStatus;
    if (open) {
      target = FORWARD[index % 7]!;
    } else if (roll < 0.78) target = 'COMPLETED';
    else if (roll < 0.9) target = 'CANCELLED';
    else target = 'EXPIRED';

    const requestedAt = open
      ? new Date(now.getTime() - between(5, 180) * MINUTE)
      : new Date(now.getTime() - between(6 * 60, 60 * 24 * 60) * MINUTE);
    const milestones: DemoTrip['milestones'] = [{ status: 'REQUESTED', at: requestedAt }];
    const capable = agencies.filter((agency) => agency.levels.includes(transportLevel));
    const offeredAgencyIds = capable.map((agency) => agency.id);
    let cancellation: DemoTrip['cancellation'] = null;

    const finalForward: TransportStatus =
      target === 'CANCELLED' ? pick<TransportStatus>(['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE']) : target === 'EXPIRED' ? 'REQUESTED' : target;
    let clock = requestedAt.getTime();
    for (const status of FORWARD.slice(1, FORWARD.indexOf(finalForward) + 1)) {
      const [min, max] = STEP_MINUTES[status]!;
      const previous = clock;
      clock += between(min, max) * MINUTE;
      // A trip still moving has not reached the future: squeeze its latest steps into the minutes before now.
      if (open && clock > now.getTime()) clock = Math.max(previous, now.getTime() - between(1, 4) * MINUTE);
      milestones.push({ status, at: new Date(clock) });
    }
    if (target === 'CANCELLED') {
      clock += between(3, 40) * MINUTE;
      milestones.push({ status: 'CANCELLED', at: new Date(clock) });
      const party: CancellationParty = random() < 0.75 ? 'HOSPITAL' : random() < 0.5 ? 'EMS' : 'CENTER';
      cancellation = { reason: pick(CANCEL_REASONS), party, notes: null };
    } else if (target === 'EXPIRED') {
      milestones.push({ status: 'EXPIRED', at: new Date(requestedAt.getTime() + 60 * MINUTE) });
    }

    const accepted = milestones.some((milestone) => milestone.status === 'ACCEPTED');
    const winner = accepted && capable.length > 0 ? pick(capable) : null;
    const acceptedAt = milestones.find((milestone) => milestone.status === 'ACCEPTED')?.at ?? null;
    const responses: DemoResponse[] = capable.map((agency) => {
      if (winner && agency.id === winner.id) {
        return { agencyId: agency.id, status: 'ACCEPTED', etaMinutes: between(10, 45), respondedAt: acceptedAt, declineReason: null };
      }
      const answered = random() < 0.5;
      const respondedAt = new Date(requestedAt.getTime() + between(1, 30) * MINUTE);
      if (answered && random() < 0.6) {
        return { agencyId: agency.id, status: 'DECLINED', etaMinutes: null, respondedAt, declineReason: pick(['No unit available', 'Outside shift coverage', 'Crew at end of shift']) };
      }
      if (answered && winner) {
        return { agencyId: agency.id, status: 'REJECTED', etaMinutes: between(15, 60), respondedAt, declineReason: null };
      }
      const unanswered = target === 'EXPIRED' ? 'EXPIRED' : target === 'CANCELLED' && !winner ? 'WITHDRAWN' : winner ? 'REJECTED' : 'PENDING';
      return { agencyId: agency.id, status: unanswered, etaMinutes: null, respondedAt: null, declineReason: null };
    });

    let assignedUnitId: string | null = null;
    if (winner && milestones.some((milestone) => milestone.status === 'ASSIGNED')) {
      const agencyUnits = units.filter((unit) => unit.agencyId === winner.id && unit.level === transportLevel);
      const candidates = agencyUnits.length > 0 ? agencyUnits : units.filter((unit) => unit.agencyId === winner.id);
      // A trip under way has a unit nobody else has (a new one when the agency has none free); past trips any.
      const underWay = open && target !== 'COMPLETED';
      const unit = underWay
        ? (candidates.find((candidate) => candidate.level === transportLevel && !busyUnits.has(candidate.id)) ?? addUnit(winner, transportLevel))
        : pick(candidates);
      assignedUnitId = unit.id;
      if (underWay) busyUnits.add(unit.id);
    }

    trips.push({
      id: stableId(`trip-${index + 1}`),
      hospitalId: hospital.id,
      patientReference: `MRN-${String(100000 + Math.floor(random() * 900000))}`,
      originFacilityId: origin.id,
      destinationFacilityId: destination.id,
      transportLevel,
      priority,
      specialRequirements,
      status: milestones[milestones.length - 1]!.status,
      milestones,
      scheduledPickupAt: priority === 'ROUTINE' ? new Date(requestedAt.getTime() + between(60, 240) * MINUTE) : null,
      responseDeadline: new Date(requestedAt.getTime() + 60 * MINUTE),
      assignedAgencyId: winner?.id ?? null,
      assignedUnitId,
      createdById: coordinators.get(hospital.id)!,
      cancellation,
      offeredAgencyIds,
      responses,
    });
  }

  const unitStatusFor: Partial<Record<TransportStatus, UnitStatus>> = {
    ASSIGNED: 'COMMITTED',
    EN_ROUTE: 'EN_ROUTE',
    AT_PICKUP: 'ON_SCENE',
    TRANSPORTING: 'TRANSPORTING',
    AT_DESTINATION: 'AT_DESTINATION',
  };
  for (const trip of trips) {
    const unitStatus = unitStatusFor[trip.status];
    const unit = units.find((candidate) => candidate.id === trip.assignedUnitId);
    if (unit && unitStatus && busyUnits.has(unit.id)) unit.status = unitStatus;
  }
  const idleUnits = units.filter((unit) => unit.status === 'AVAILABLE');
  if (idleUnits.length > 2) idleUnits[idleUnits.length - 1]!.status = 'OUT_OF_SERVICE';
  // Every agency keeps two free units of each level it provides: a dispatcher trying the README assigns one.
  for (const agency of agencies) {
    for (const level of agency.levels) {
      const free = units.filter((unit) => unit.agencyId === agency.id && unit.level === level && unit.status === 'AVAILABLE').length;
      for (let count = free; count < 2; count++) addUnit(agency, level);
    }
  }

  return { hospitals, facilities, agencies, units, users, preferences, trips };
}

/** The time a trip reached a status, if it did. */
export function milestoneAt(trip: DemoTrip, status: TransportStatus): Date | null {
  return trip.milestones.find((milestone) => milestone.status === status)?.at ?? null;
}
