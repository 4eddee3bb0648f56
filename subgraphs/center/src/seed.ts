import { label } from '@medport/database';
import { demo, newId, stableId } from '@medport/domain';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from './database.js';
import { jsonText, type JsonValue } from '@medport/database';
import { hashPassword } from './modules/users/passwords.js';

const SETTINGS: { key: string; value: JsonValue; description: string }[] = [
  { key: 'dispatch.mode', value: 'HYBRID', description: 'How trips are offered: PREFERRED, GEOGRAPHIC or HYBRID.' },
  { key: 'dispatch.responseDeadlineMinutes', value: 60, description: 'Minutes agencies have to answer an offer before the trip expires.' },
  { key: 'dispatch.maxResponses', value: 5, description: 'Most agencies a trip is offered to at once.' },
  { key: 'sla.acceptToPickupMinutes', value: 60, description: 'Target minutes from acceptance to arrival at the pickup.' },
  { key: 'sla.onTimeWindowMinutes', value: 15, description: 'A pickup within this many minutes of the scheduled time is on time.' },
];

const FEATURE_TOGGLES: { name: string; enabled: boolean }[] = [
  { name: 'dispatch.geographicOffers', enabled: true },
  { name: 'analytics.dashboard', enabled: true },
  { name: 'notifications.sms', enabled: false },
];

// Templates name trips and facilities, never patients: notifications leave the network.
const TEMPLATES = [
  {
    name: 'trip.offered',
    channel: 'PUSH' as const,
    subject: null,
    content: 'New {{transportLevel}} trip from {{originName}} to {{destinationName}}. Answer by {{responseDeadline}}.',
    variables: ['transportLevel', 'originName', 'destinationName', 'responseDeadline'],
  },
  {
    name: 'trip.accepted',
    channel: 'EMAIL' as const,
    subject: 'Trip {{tripId}} accepted by {{agencyName}}',
    content: '{{agencyName}} accepted trip {{tripId}} and expects to arrive at {{originName}} in {{etaMinutes}} minutes.',
    variables: ['tripId', 'agencyName', 'originName', 'etaMinutes'],
  },
  {
    name: 'trip.cancelled',
    channel: 'SMS' as const,
    subject: null,
    content: 'Trip {{tripId}} was cancelled by {{party}}: {{reason}}.',
    variables: ['tripId', 'party', 'reason'],
  },
];

const BATCH_SIZE = 100;

/** Seeds the center silo's part of the demo network, unless it already holds hospitals. */
export async function seedCenterDemoData(db: Kysely<CenterDatabase>, trips?: number): Promise<boolean> {
  const existing = await db.selectFrom('hospitals').select('id').limit(1).modifyEnd(label('seedCheck')).executeTakeFirst();
  if (existing) return false;
  const network = demo.buildDemoNetwork(new Date(), trips);
  // scrypt is slow on purpose: one hash, shared by every demo account (they all have the same password).
  const passwordHash = await hashPassword(demo.DEMO_PASSWORD);
  const admin = network.users.find((user) => user.role === 'CENTER_ADMIN');

  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('hospitals')
      .values(
        network.hospitals.map((hospital) => ({
          id: hospital.id,
          name: hospital.name,
          address_line: hospital.addressLine,
          city: hospital.city,
          state: hospital.state,
          postal_code: hospital.postalCode,
          contact_name: hospital.contactName,
          phone: hospital.phone,
          email: hospital.email,
          status: 'ACTIVE' as const,
        })),
      )
      .modifyEnd(label('seedHospitals'))
      .execute();

    await trx
      .insertInto('service_registry')
      .values(
        network.agencies.map((agency) => ({
          // Derived from the agency, so reseeding gives the registration the same id.
          id: stableId(`registration/${agency.slug}`),
          service_name: agency.name,
          status: 'ACTIVE' as const,
          agency_id: agency.id,
          added_by_id: admin?.id ?? null,
          configuration: jsonText({ levels: agency.levels, serviceRadiusKm: agency.serviceRadiusKm }),
          metadata: jsonText({ contactEmail: agency.email, city: agency.city }),
        })),
      )
      .modifyEnd(label('seedServiceRegistry'))
      .execute();

    for (let start = 0; start < network.users.length; start += BATCH_SIZE) {
      await trx
        .insertInto('users')
        .values(
          network.users.slice(start, start + BATCH_SIZE).map((user) => ({
            id: user.id,
            email: user.email.toLowerCase(),
            password_hash: passwordHash,
            name: user.name,
            role: user.role,
            hospital_id: user.hospitalId,
            agency_id: user.agencyId,
          })),
        )
        .modifyEnd(label('seedUsers'))
        .execute();
    }

    await trx
      .insertInto('system_configuration')
      .values(
        SETTINGS.map((setting) => ({
          key: setting.key,
          value: jsonText(setting.value),
          description: setting.description,
          category: setting.key.split('.')[0]!,
          updated_by_id: admin?.id ?? null,
        })),
      )
      .modifyEnd(label('seedSystemConfiguration'))
      .execute();

    await trx
      .insertInto('feature_toggles')
      .values(FEATURE_TOGGLES.map((toggle) => ({ id: newId(), name: toggle.name, is_enabled: toggle.enabled, updated_by_id: admin?.id ?? null })))
      .modifyEnd(label('seedFeatureToggles'))
      .execute();

    await trx
      .insertInto('notification_templates')
      .values(TEMPLATES.map((template) => ({ id: newId(), ...template })))
      .modifyEnd(label('seedNotificationTemplates'))
      .execute();
    // No trip facts: the center learns the demo's trips from the hospital's and ems's seeded events, like any trip.
  });
  return true;
}
