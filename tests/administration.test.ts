import { demo, type EventContracts } from '@medport/domain';
import { errorCodes, postGraphQL, type GraphQLResponse } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip } from './support/trips.js';

// Center administrators tune the network through the gateway: settings the hospital applies, toggles ems honours,
// notification templates. Every change is audited with its before and after; every refusal changes nothing.

let stack: Stack;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals;
const preferredOf = (hospitalId: string) =>
  network.preferences.filter((preference) => preference.hospitalId === hospitalId).map((preference) => preference.agencyId);

const ADMIN = 'admin@center.demo';
const ANALYST = 'analyst@center.demo';
const COORDINATOR = 'coordinator@hospital-1.demo';

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

const fields = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((error) => error.extensions?.field);

const UPDATE_SETTING = `mutation($key: String!, $value: String!) { updateSystemSetting(key: $key, value: $value) { key value isActive rule defaultValue } }`;
const SET_TOGGLE = `mutation($name: String!, $input: FeatureToggleInput!) {
  setFeatureToggle(name: $name, input: $input) { name isEnabled target { roles tenantIds exceptTenantIds } }
}`;
const TEMPLATE_FIELDS = 'id name channel subject content variables isActive';
const CREATE_TEMPLATE = `mutation($input: NotificationTemplateInput!) { createNotificationTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
const UPDATE_TEMPLATE = `mutation($id: ID!, $input: NotificationTemplateInput!) { updateNotificationTemplate(id: $id, input: $input) { ${TEMPLATE_FIELDS} } }`;
const SET_TEMPLATE_ACTIVE = `mutation($id: ID!, $isActive: Boolean!) { setNotificationTemplateActive(id: $id, isActive: $isActive) { ${TEMPLATE_FIELDS} } }`;
const PREVIEW = `query($id: ID, $draft: NotificationTemplateInput, $sampleValues: [NotificationSampleValueInput!]) {
  previewNotificationTemplate(id: $id, draft: $draft, sampleValues: $sampleValues) { channel subject text values { name value isExample } }
}`;
const AUDIT = `query($filter: AuditTrailFilter) { centerAuditTrail(filter: $filter, first: 20) { nodes { action entityId outcome actorRole details } } }`;

/** The center's audit records of one action on one record, newest first, with their details parsed. */
async function auditOf(action: string, entityId?: string) {
  const response = await run(ADMIN, AUDIT, { filter: { action, ...(entityId ? { entityId } : {}) } });
  expect(response.errors).toBeUndefined();
  return (response.data.centerAuditTrail.nodes as { entityId: string; outcome: string; actorRole: string; details: string }[]).map((node) => ({
    ...node,
    details: JSON.parse(node.details) as Record<string, unknown>,
  }));
}

/** Everything an administrator's change could touch in the center, and the copies in the other silos. */
async function administrationState() {
  return {
    settings: await rows(stack, 'center', sql`select key, value, is_active, updated_at from system_configuration order by key`),
    toggles: await rows(stack, 'center', sql`select name, is_enabled, target, updated_at from feature_toggles order by name`),
    templates: await rows(stack, 'center', sql`select * from notification_templates order by name`),
    outbox: (await rows(stack, 'center', sql`select count(*)::int as n from outbox_events`))[0]!.n,
    hospitalCopy: await rows(stack, 'hospital', sql`select * from network_settings order by key`),
    emsCopy: await rows(stack, 'ems', sql`select * from feature_toggles order by name`),
  };
}

describe('system configuration', () => {
  it('shows center staff each setting with its rule and default', async () => {
    const response = await run(ANALYST, `{ systemConfiguration(category: "sla") { key value isActive rule defaultValue } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data.systemConfiguration).toEqual([
      { key: 'sla.acceptToPickupMinutes', value: '60', isActive: true, rule: 'a whole number of minutes from 5 to 720', defaultValue: '60' },
      { key: 'sla.onTimeWindowMinutes', value: '15', isActive: true, rule: 'a whole number of minutes from 1 to 240', defaultValue: '15' },
    ]);
  });

  it('gives trips requested after an administrator changes the offer deadline the new deadline, decided by the hospital', async () => {
    const changed = await run(ADMIN, UPDATE_SETTING, { key: 'dispatch.responseDeadlineMinutes', value: '20' });
    expect(changed.errors).toBeUndefined();
    expect(changed.data.updateSystemSetting).toMatchObject({ key: 'dispatch.responseDeadlineMinutes', value: '20', isActive: true });
    // The hospital keeps its copy of the setting, and stamps new trips with it without asking the center.
    await eventually(async () => {
      const [copy] = await rows(stack, 'hospital', sql`select value from network_settings where key = 'dispatch.responseDeadlineMinutes'`);
      expect(copy?.value).toBe(20);
    });

    const tripId = await requestTrip(stack.gatewayUrl, await stack.as(COORDINATOR));
    const [requested] = await rows<{ payload: EventContracts['TripRequested'] }>(
      stack,
      'hospital',
      sql`select payload from outbox_events where type = 'TripRequested' and aggregate_id = ${tripId}`,
    );
    const { requestedAt, responseDeadline } = requested!.payload;
    expect(new Date(responseDeadline).getTime() - new Date(requestedAt).getTime()).toBe(20 * 60_000);
    // The agencies it is offered to work to the same deadline.
    await offersOf(stack, tripId);
    const [emsCopy] = await rows(stack, 'ems', sql`select response_deadline from trips where id = ${tripId}`);
    expect(emsCopy!.response_deadline).toEqual(new Date(responseDeadline));

    const [record] = await auditOf('UPDATE_SYSTEM_SETTING', 'dispatch.responseDeadlineMinutes');
    expect(record).toMatchObject({ outcome: 'ALLOWED', actorRole: 'CENTER_ADMIN', details: { key: 'dispatch.responseDeadlineMinutes', before: '60', after: '20' } });
  });

  it('sets a dispatch mode, a word in JSON text, and keeps the change that only the center uses to itself', async () => {
    const outboxBefore = (await administrationState()).outbox;
    const changed = await run(ADMIN, UPDATE_SETTING, { key: 'dispatch.mode', value: '"PREFERRED"' });
    expect(changed.errors).toBeUndefined();
    expect(changed.data.updateSystemSetting).toMatchObject({ value: '"PREFERRED"', rule: 'one of PREFERRED, GEOGRAPHIC, HYBRID', defaultValue: '"HYBRID"' });
    expect((await administrationState()).outbox).toBe(outboxBefore);
    const [record] = await auditOf('UPDATE_SYSTEM_SETTING', 'dispatch.mode');
    expect(record!.details).toMatchObject({ before: '"HYBRID"', after: '"PREFERRED"' });
  });

  it('refuses unknown keys and values that are not JSON or break the rule with BAD_USER_INPUT naming the field, storing nothing', async () => {
    const before = await administrationState();
    const attempts: [string, string, string][] = [
      ['dispatch.teleportMinutes', '10', 'key'],
      ['dispatch.responseDeadlineMinutes', '4', 'value'],
      ['dispatch.responseDeadlineMinutes', '1441', 'value'],
      ['dispatch.responseDeadlineMinutes', '12.5', 'value'],
      ['dispatch.responseDeadlineMinutes', '"30"', 'value'],
      ['sla.onTimeWindowMinutes', 'fifteen', 'value'],
      ['dispatch.mode', 'PREFERRED', 'value'],
      ['dispatch.mode', '"NEAREST"', 'value'],
    ];
    for (const [key, value, field] of attempts) {
      const response = await run(ADMIN, UPDATE_SETTING, { key, value });
      expect(errorCodes(response), `${key} = ${value}`).toEqual(['BAD_USER_INPUT']);
      expect(fields(response)).toEqual([field]);
    }
    expect(await administrationState()).toEqual(before);
    const [record] = await auditOf('UPDATE_SYSTEM_SETTING', 'dispatch.mode');
    expect(record).toMatchObject({ outcome: 'FAILED', details: { key: 'dispatch.mode', code: 'BAD_USER_INPUT', field: 'value' } });
  });
});

describe('feature toggles', () => {
  const GEOGRAPHIC = 'dispatch.geographicOffers';

  it("offers a trip of a hospital the geographic toggle is off for to its preferred agencies only, and other hospitals' trips geographically still", async () => {
    // With the toggle on for everyone, each hospital's trip also reaches agencies it does not prefer.
    const geographicOnly = async (hospitalId: string, email: string) => {
      const tripId = await requestTrip(stack.gatewayUrl, await stack.as(email), { hospitalId });
      const offered = (await offersOf(stack, tripId)).map((offer) => offer.agency_id);
      expect(offered.some((agencyId) => preferredOf(hospitalId).includes(agencyId))).toBe(true);
      return offered.filter((agencyId) => !preferredOf(hospitalId).includes(agencyId));
    };
    expect(await geographicOnly(hospital1!.id, COORDINATOR)).not.toEqual([]);
    expect(await geographicOnly(hospital2!.id, 'coordinator@hospital-2.demo')).not.toEqual([]);

    const switched = await run(ADMIN, SET_TOGGLE, { name: GEOGRAPHIC, input: { isEnabled: true, target: { exceptTenantIds: [hospital1!.id] } } });
    expect(switched.errors).toBeUndefined();
    expect(switched.data.setFeatureToggle).toEqual({ name: GEOGRAPHIC, isEnabled: true, target: { roles: [], tenantIds: [], exceptTenantIds: [hospital1!.id] } });
    await eventually(async () => {
      const [copy] = await rows(stack, 'ems', sql`select target from feature_toggles where name = ${GEOGRAPHIC}`);
      expect(copy?.target.exceptTenantIds).toEqual([hospital1!.id]);
    });

    expect(await geographicOnly(hospital1!.id, COORDINATOR)).toEqual([]);
    expect(await geographicOnly(hospital2!.id, 'coordinator@hospital-2.demo')).not.toEqual([]);

    const [record] = await auditOf('SET_FEATURE_TOGGLE', GEOGRAPHIC);
    expect(record).toMatchObject({
      outcome: 'ALLOWED',
      details: { changed: 'exceptTenantIds', 'before.exceptTenantIds': '', 'after.exceptTenantIds': hospital1!.id },
    });

    // Back on for everyone: the target is given as empty lists, since one left out is kept.
    const restored = await run(ADMIN, SET_TOGGLE, { name: GEOGRAPHIC, input: { isEnabled: true, target: { exceptTenantIds: [] } } });
    expect(restored.data.setFeatureToggle.target.exceptTenantIds).toEqual([]);
    await eventually(async () => {
      const [copy] = await rows(stack, 'ems', sql`select target from feature_toggles where name = ${GEOGRAPHIC}`);
      expect(copy?.target.exceptTenantIds).toEqual([]);
    });
  });

  it('switches a toggle off and keeps its target when none is given', async () => {
    await run(ADMIN, SET_TOGGLE, { name: 'notifications.sms', input: { isEnabled: false, target: { roles: ['HOSPITAL_ADMIN'] } } });
    const switched = await run(ADMIN, SET_TOGGLE, { name: 'notifications.sms', input: { isEnabled: true } });
    expect(switched.data.setFeatureToggle).toMatchObject({ isEnabled: true, target: { roles: ['HOSPITAL_ADMIN'] } });
    const [record] = await auditOf('SET_FEATURE_TOGGLE', 'notifications.sms');
    expect(record!.details).toMatchObject({ changed: 'isEnabled', 'before.isEnabled': false, 'after.isEnabled': true });
    // ems keeps every toggle, even one it does not read yet.
    await eventually(async () => {
      const [copy] = await rows(stack, 'ems', sql`select is_enabled, target from feature_toggles where name = 'notifications.sms'`);
      expect(copy).toEqual({ is_enabled: true, target: { roles: ['HOSPITAL_ADMIN'], tenantIds: [], exceptTenantIds: [] } });
    });
  });

  it('refuses unknown toggles and targets naming tenants that are not in the network, storing nothing', async () => {
    const before = await administrationState();
    const attempts: [string, Record<string, unknown>, string][] = [
      ['dispatch.teleport', { isEnabled: true }, 'name'],
      [GEOGRAPHIC, { isEnabled: true, target: { tenantIds: ['hospital-1'] } }, 'target.tenantIds'],
      [GEOGRAPHIC, { isEnabled: true, target: { exceptTenantIds: ['00000000-0000-4000-8000-000000000000'] } }, 'target.exceptTenantIds'],
      [GEOGRAPHIC, { isEnabled: false, target: { tenantIds: [hospital2!.id], exceptTenantIds: [hospital2!.id] } }, 'target.exceptTenantIds'],
    ];
    for (const [name, input, field] of attempts) {
      const response = await run(ADMIN, SET_TOGGLE, { name, input });
      expect(errorCodes(response), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(fields(response)).toEqual([field]);
    }
    expect(await administrationState()).toEqual(before);
  });

  it('shows center staff each toggle with what it does and whom it is on for', async () => {
    const response = await run(ANALYST, `{ featureToggles { name description isEnabled target { roles tenantIds exceptTenantIds } } }`);
    expect(response.errors).toBeUndefined();
    const geographic = response.data.featureToggles.find((toggle: { name: string }) => toggle.name === GEOGRAPHIC);
    expect(geographic).toMatchObject({ isEnabled: true, target: { roles: [], tenantIds: [], exceptTenantIds: [] } });
    expect(geographic.description).toContain('ems');
  });
});

describe('notification templates', () => {
  const draft = {
    name: 'trip.assigned',
    channel: 'EMAIL',
    subject: 'Unit {{unitNumber}} is on its way',
    content: '{{agencyName}} sent {{unitNumber}} to {{originName}}.',
    variables: ['agencyName', 'unitNumber', 'originName'],
  };
  let templateId: string;

  it('previews a draft before it is saved, with sample values and the documented examples for the rest', async () => {
    const response = await run(ANALYST, PREVIEW, { draft, sampleValues: [{ name: 'unitNumber', value: 'M-07' }] });
    expect(response.errors).toBeUndefined();
    expect(response.data.previewNotificationTemplate).toEqual({
      channel: 'EMAIL',
      subject: 'Unit M-07 is on its way',
      text: 'Three Rivers Ambulance sent M-07 to Allegheny General Main Campus.',
      values: [
        { name: 'agencyName', value: 'Three Rivers Ambulance', isExample: true },
        { name: 'unitNumber', value: 'M-07', isExample: false },
        { name: 'originName', value: 'Allegheny General Main Campus', isExample: true },
      ],
    });
  });

  it('creates, updates, deactivates and previews a template, each change audited with before and after', async () => {
    const created = await run(ADMIN, CREATE_TEMPLATE, { input: draft });
    expect(created.errors).toBeUndefined();
    templateId = created.data.createNotificationTemplate.id;
    expect(created.data.createNotificationTemplate).toMatchObject({ ...draft, isActive: true });

    // Longer than the 100 characters an id is cut to in the audit trail: a change's values are kept whole.
    const content = '{{agencyName}} sent {{unitNumber}}; it reaches {{originName}} in {{etaMinutes}} min. Have the transfer papers ready at the door.';
    const updated = await run(ADMIN, UPDATE_TEMPLATE, { id: templateId, input: { ...draft, content, variables: [...draft.variables, 'etaMinutes'] } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateNotificationTemplate).toMatchObject({ content, variables: [...draft.variables, 'etaMinutes'] });

    const deactivated = await run(ADMIN, SET_TEMPLATE_ACTIVE, { id: templateId, isActive: false });
    expect(deactivated.data.setNotificationTemplateActive.isActive).toBe(false);

    const preview = await run(ADMIN, PREVIEW, { id: templateId, sampleValues: [{ name: 'etaMinutes', value: '9' }] });
    expect(preview.errors).toBeUndefined();
    expect(preview.data.previewNotificationTemplate.text).toBe(
      'Three Rivers Ambulance sent TRA-ALS-02; it reaches Allegheny General Main Campus in 9 min. Have the transfer papers ready at the door.',
    );

    const listed = await run(ANALYST, `{ notificationTemplates { ${TEMPLATE_FIELDS} } }`);
    expect(listed.data.notificationTemplates.find((template: { id: string }) => template.id === templateId)).toMatchObject({ content, isActive: false });

    const [createRecord] = await auditOf('CREATE_NOTIFICATION_TEMPLATE', templateId);
    expect(createRecord).toMatchObject({ outcome: 'ALLOWED', details: { 'after.name': 'trip.assigned', 'after.channel': 'EMAIL', 'after.content': draft.content } });
    const [updateRecord] = await auditOf('UPDATE_NOTIFICATION_TEMPLATE', templateId);
    expect(updateRecord!.details).toEqual({
      changed: 'content,variables',
      'before.content': draft.content,
      'after.content': content,
      'before.variables': 'agencyName,unitNumber,originName',
      'after.variables': 'agencyName,unitNumber,originName,etaMinutes',
    });
    const [activeRecord] = await auditOf('SET_NOTIFICATION_TEMPLATE_ACTIVE', templateId);
    expect(activeRecord!.details).toEqual({ before: true, after: false });
  });

  it('refuses bad templates with BAD_USER_INPUT naming the field, storing nothing', async () => {
    const before = await administrationState();
    const attempts: [Record<string, unknown>, string][] = [
      [{ ...draft, name: 'trip.undeclared', content: '{{agencyName}} for {{hospitalName}}' }, 'content'],
      [{ ...draft, name: 'trip.patient', content: 'For {{patientReference}}', variables: ['patientReference'] }, 'variables'],
      [{ ...draft, name: 'trip.nosubject', subject: null }, 'subject'],
      [{ ...draft, name: 'trip.longtext', channel: 'SMS', subject: null, content: `${'x'.repeat(320)} {{agencyName}}` }, 'content'],
      [{ ...draft, name: 'trip.smssubject', channel: 'SMS' }, 'subject'],
      [{ ...draft, name: 'trip.malformed', content: '{{agencyName} sent a unit.' }, 'content'],
      [{ ...draft, name: 'Trip Assigned' }, 'name'],
    ];
    for (const [input, field] of attempts) {
      const response = await run(ADMIN, CREATE_TEMPLATE, { input });
      expect(errorCodes(response), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(fields(response)).toEqual([field]);
    }
    const update = await run(ADMIN, UPDATE_TEMPLATE, { id: templateId, input: { ...draft, content: 'Now {{unknownThing}}' } });
    expect(fields(update)).toEqual(['content']);
    const taken = await run(ADMIN, UPDATE_TEMPLATE, { id: templateId, input: { ...draft, name: 'trip.offered' } });
    expect(errorCodes(taken)).toEqual(['CONFLICT']);
    const sample = await run(ADMIN, PREVIEW, { id: templateId, sampleValues: [{ name: 'hospitalName', value: 'General' }] });
    expect(errorCodes(sample)).toEqual(['BAD_USER_INPUT']);
    expect(fields(sample)).toEqual(['sampleValues']);
    const both = await run(ADMIN, PREVIEW, { id: templateId, draft });
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
    const badDraft = await run(ADMIN, PREVIEW, { draft: { ...draft, subject: null } });
    expect(fields(badDraft)).toEqual(['draft.subject']);
    expect(await administrationState()).toEqual(before);
    const [record] = await auditOf('UPDATE_NOTIFICATION_TEMPLATE', templateId);
    expect(record).toMatchObject({ outcome: 'FAILED', details: { code: 'CONFLICT' } });
  });
});

describe('who may administer', () => {
  it('refuses every change to center staff without admin rights and to hospital users with FORBIDDEN, writing nothing but the refusal', async () => {
    const [template] = await rows<{ id: string }>(stack, 'center', sql`select id from notification_templates where name = 'trip.offered'`);
    const changes: [string, Record<string, unknown>][] = [
      [UPDATE_SETTING, { key: 'dispatch.responseDeadlineMinutes', value: '30' }],
      [SET_TOGGLE, { name: 'dispatch.geographicOffers', input: { isEnabled: false } }],
      [CREATE_TEMPLATE, { input: { name: 'trip.sneaky', channel: 'PUSH', content: 'Hello', variables: [] } }],
      [UPDATE_TEMPLATE, { id: template!.id, input: { name: 'trip.offered', channel: 'PUSH', content: 'Changed', variables: [] } }],
      [SET_TEMPLATE_ACTIVE, { id: template!.id, isActive: false }],
    ];
    const before = await administrationState();
    for (const email of [ANALYST, COORDINATOR]) {
      for (const [mutation, variables] of changes) {
        const response = await run(email, mutation, variables);
        expect(errorCodes(response), `${email}: ${mutation.slice(0, 40)}`).toEqual(['FORBIDDEN']);
      }
    }
    expect(await administrationState()).toEqual(before);
    const denied = await auditOf('UPDATE_SYSTEM_SETTING', 'dispatch.responseDeadlineMinutes');
    expect(denied.slice(0, 2).map((record) => [record.outcome, record.actorRole])).toEqual([
      ['DENIED', 'HOSPITAL_STAFF'],
      ['DENIED', 'CENTER_STAFF'],
    ]);
  });

  it('lets center staff read and preview, and nobody outside the center', async () => {
    const reads = `{ systemConfiguration { key } featureToggles { name } notificationTemplates { name } notificationVariables { name example } }`;
    const analyst = await run(ANALYST, reads);
    expect(analyst.errors).toBeUndefined();
    expect(analyst.data.notificationVariables.map((variable: { name: string }) => variable.name)).not.toContain('patientReference');
    for (const email of [COORDINATOR, 'dispatcher@agency-1.demo']) {
      expect(errorCodes(await run(email, `{ notificationVariables { name } }`))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await run(email, PREVIEW, { draft: { name: 'trip.x', channel: 'PUSH', content: 'Hi', variables: [] } }))).toEqual(['FORBIDDEN']);
    }
  });
});
