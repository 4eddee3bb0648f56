import { ANNOUNCED_FEATURE_TOGGLES, newId, type FeatureToggleTarget } from '@medport/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFeatureOn } from '../src/modules/feature-toggles/feature-toggles.js';
import type { FeatureToggleRow } from '../src/modules/feature-toggles/feature-toggles.table.js';
import { startTestEms, type TestEms } from './ems-service.js';
import { applyEvent, eventOf, freshPlace, north, outbox, registerAgency, requestTrip } from './workflow-support.js';

let service: TestEms;
const db = () => service.ems.database.db;

beforeAll(async () => {
  service = await startTestEms();
});

afterAll(async () => {
  await service?.stop();
});

const GEOGRAPHIC_OFFERS = ANNOUNCED_FEATURE_TOGGLES.geographicOffers;
const EVERYONE: FeatureToggleTarget = { roles: [], tenantIds: [], exceptTenantIds: [] };

/** The center's announcement of a toggle, as its feed delivers it. */
async function announceToggle(isEnabled: boolean, target: Partial<FeatureToggleTarget>, changedAt: Date, name: string = GEOGRAPHIC_OFFERS) {
  const payload = { name, isEnabled, target: { ...EVERYONE, ...target }, changedById: newId(), changedAt: changedAt.toISOString() };
  await applyEvent(db(), eventOf('FeatureToggleChanged', name, payload));
}

/** A preferred agency, and one covering the pickup that only geographic offers reach. */
async function agenciesAround(origin: { latitude: number; longitude: number }) {
  const preferred = await registerAgency(db());
  const nearby = await registerAgency(db(), { area: { ...north(origin, 2), radiusKm: 30 } });
  return { preferred, nearby };
}

async function offeredTo(hospitalId: string) {
  const origin = freshPlace();
  const { preferred, nearby } = await agenciesAround(origin);
  const tripId = await requestTrip(db(), { hospitalId, origin, preferredAgencyIds: [preferred] });
  const [offered] = await outbox(db(), 'TripOffered', tripId);
  return { agencyIds: offered!.agencyIds, preferred, nearby };
}

describe('dispatch.geographicOffers (FeatureToggleChanged)', () => {
  // One file, one database: the tests run in order, and each announces the state it needs with a later time.
  let clock = Date.now();
  const later = () => new Date((clock += 1_000));

  it('offers geographically while the center has said nothing about the toggle', async () => {
    const { agencyIds, preferred, nearby } = await offeredTo(newId());
    expect(agencyIds).toEqual([preferred, nearby]);
  });

  it("offers a trip of a hospital the toggle is off for to the hospital's preferred agencies only, and other hospitals' trips as before", async () => {
    const excluded = newId();
    await announceToggle(true, { exceptTenantIds: [excluded] }, later());
    const offExcluded = await offeredTo(excluded.toUpperCase());
    expect(offExcluded.agencyIds).toEqual([offExcluded.preferred]);
    const other = await offeredTo(newId());
    expect(other.agencyIds).toEqual([other.preferred, other.nearby]);
  });

  it('offers every trip to preferred agencies only while the toggle is off for everyone', async () => {
    await announceToggle(false, {}, later());
    const { agencyIds, preferred } = await offeredTo(newId());
    expect(agencyIds).toEqual([preferred]);
  });

  it('keeps the newest announcement: an older one retried late changes nothing, a replay neither', async () => {
    const newest = later();
    await announceToggle(true, {}, newest);
    await announceToggle(false, {}, new Date(newest.getTime() - 500));
    await announceToggle(true, {}, newest);
    const stored = await db().selectFrom('feature_toggles').selectAll().where('name', '=', GEOGRAPHIC_OFFERS).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ is_enabled: true, changed_at: newest });
    const { agencyIds, preferred, nearby } = await offeredTo(newId());
    expect(agencyIds).toEqual([preferred, nearby]);
  });

  it('keeps toggles this silo does not read yet, for a newer version of it', async () => {
    await announceToggle(true, { roles: ['HOSPITAL_ADMIN'] }, later(), 'notifications.sms');
    const stored = await db().selectFrom('feature_toggles').selectAll().where('name', '=', 'notifications.sms').executeTakeFirstOrThrow();
    expect(stored.target).toEqual({ roles: ['HOSPITAL_ADMIN'], tenantIds: [], exceptTenantIds: [] });
  });
});

describe('isFeatureOn', () => {
  const hospital = newId();
  const otherHospital = newId();
  const toggle = (isEnabled: boolean, target: Partial<FeatureToggleTarget>): FeatureToggleRow => ({
    name: GEOGRAPHIC_OFFERS,
    is_enabled: isEnabled,
    target: { ...EVERYONE, ...target },
    changed_at: new Date(),
    updated_at: new Date(),
  });
  const forHospital = (row: FeatureToggleRow | undefined, tenantId = hospital) => isFeatureOn(row, { tenantKind: 'HOSPITAL', tenantId }, true);

  it('is at the default for a toggle never announced', () => {
    expect(isFeatureOn(undefined, { tenantKind: 'HOSPITAL', tenantId: hospital }, true)).toBe(true);
    expect(isFeatureOn(undefined, { tenantKind: 'HOSPITAL', tenantId: hospital }, false)).toBe(false);
  });

  it('is on for everyone with an empty target, and off for everyone when disabled whatever the target', () => {
    expect(forHospital(toggle(true, {}))).toBe(true);
    expect(forHospital(toggle(false, {}))).toBe(false);
    expect(forHospital(toggle(false, { tenantIds: [hospital] }))).toBe(false);
  });

  it('is on only for the listed tenants, and off for excepted ones whatever else says', () => {
    expect(forHospital(toggle(true, { tenantIds: [hospital] }))).toBe(true);
    expect(forHospital(toggle(true, { tenantIds: [hospital] }), otherHospital)).toBe(false);
    expect(forHospital(toggle(true, { exceptTenantIds: [hospital] }))).toBe(false);
    expect(forHospital(toggle(true, { exceptTenantIds: [hospital] }), otherHospital)).toBe(true);
    expect(forHospital(toggle(true, { exceptTenantIds: [hospital] }), hospital.toUpperCase())).toBe(false);
  });

  it('matches a person by role, and a whole tenant when a role of its kind is listed', () => {
    const hospitalAdmins = toggle(true, { roles: ['HOSPITAL_ADMIN'] });
    const dispatchers = toggle(true, { roles: ['EMS_DISPATCHER'] });
    expect(isFeatureOn(hospitalAdmins, { tenantKind: 'HOSPITAL', tenantId: hospital, role: 'HOSPITAL_ADMIN' }, true)).toBe(true);
    expect(isFeatureOn(hospitalAdmins, { tenantKind: 'HOSPITAL', tenantId: hospital, role: 'HOSPITAL_STAFF' }, true)).toBe(false);
    expect(forHospital(hospitalAdmins)).toBe(true);
    expect(forHospital(dispatchers)).toBe(false);
  });
});
