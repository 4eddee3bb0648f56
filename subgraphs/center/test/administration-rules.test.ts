import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { changeDetails } from '../src/modules/system/change-details.js';
import { requireKnownToggle, storedTarget, targetOf } from '../src/modules/system/feature-toggles.js';
import { placeholdersOf, renderTemplate, validTemplate, type NotificationTemplateInput } from '../src/modules/system/notification-templates.js';
import { SETTING_RULES, settingRule } from '../src/modules/system/settings.js';

// The rules an administrator's changes are checked by, before anything is stored.

/** The field a BAD_USER_INPUT names, or a failure when `work` does not refuse. */
function refusedField(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return String((error as GraphQLError).extensions.field);
  }
  throw new Error('expected BAD_USER_INPUT, but nothing was refused');
}

describe('setting rules', () => {
  it('accepts whole minutes within the bounds of each SLA and deadline, and refuses the rest', () => {
    const deadline = SETTING_RULES.responseDeadlineMinutes;
    expect([5, 60, 1440].map((value) => deadline.accept(value))).toEqual([5, 60, 1440]);
    expect([4, 1441, 30.5, '60', null, true, [60], { minutes: 60 }].map((value) => deadline.accept(value))).toEqual(Array(8).fill(null));
    expect(SETTING_RULES.acceptToPickupSlaMinutes.accept(721)).toBeNull();
    expect(SETTING_RULES.onTimeWindowMinutes.accept(0)).toBeNull();
    expect(SETTING_RULES.maxResponses.accept(50)).toBe(50);
  });

  it('accepts only the dispatch modes there are, in capitals', () => {
    const mode = SETTING_RULES.dispatchMode;
    expect(['PREFERRED', 'GEOGRAPHIC', 'HYBRID'].map((value) => mode.accept(value))).toEqual(['PREFERRED', 'GEOGRAPHIC', 'HYBRID']);
    expect(['hybrid', 'NEAREST', '', 1].map((value) => mode.accept(value))).toEqual([null, null, null, null]);
  });

  it('knows each seeded key, with the seeded value as its default, and no other key', () => {
    expect(settingRule('sla.acceptToPickupMinutes')?.defaultValue).toBe(60);
    expect(settingRule('sla.onTimeWindowMinutes')?.defaultValue).toBe(15);
    expect(settingRule('dispatch.mode')?.defaultValue).toBe('HYBRID');
    expect(settingRule('dispatch.unknown')).toBeUndefined();
    expect(settingRule('__proto__')).toBeUndefined();
  });
});

describe('feature toggle targets', () => {
  const hospital = '0b5c7f1e-2d3a-4b6c-8d9e-0f1a2b3c4d5e';
  const agency = '1c6d8a2f-3e4b-4c7d-9e0f-1a2b3c4d5e6f';

  it('refuses a toggle no code reads', () => {
    expect(refusedField(() => requireKnownToggle('dispatch.teleport'))).toBe('name');
    expect(refusedField(() => requireKnownToggle('toString'))).toBe('name');
    expect(requireKnownToggle('dispatch.geographicOffers')).toBe('dispatch.geographicOffers');
  });

  it('stores tenant ids in lower case, and fills lists left out with none', () => {
    expect(targetOf({ tenantIds: [hospital.toUpperCase()] })).toEqual({ roles: [], tenantIds: [hospital], exceptTenantIds: [] });
  });

  it('refuses ids that are not ids, repeats, and a tenant both in and out, naming the list', () => {
    expect(refusedField(() => targetOf({ tenantIds: ['hospital-1'] }))).toBe('target.tenantIds');
    expect(refusedField(() => targetOf({ exceptTenantIds: [agency, agency.toUpperCase()] }))).toBe('target.exceptTenantIds');
    expect(refusedField(() => targetOf({ roles: ['EMS_CREW', 'EMS_CREW'] }))).toBe('target.roles');
    expect(refusedField(() => targetOf({ tenantIds: [hospital], exceptTenantIds: [hospital] }))).toBe('target.exceptTenantIds');
  });

  it('reads the seeded empty target as everyone', () => {
    expect(storedTarget({})).toEqual({ roles: [], tenantIds: [], exceptTenantIds: [] });
  });
});

describe('notification templates', () => {
  const email: NotificationTemplateInput = {
    name: 'trip.accepted',
    channel: 'EMAIL',
    subject: 'Trip {{tripId}} accepted',
    content: '{{agencyName}} arrives at {{ originName }} in {{etaMinutes}} minutes.',
    variables: ['tripId', 'agencyName', 'originName', 'etaMinutes'],
  };
  const sms: NotificationTemplateInput = { name: 'trip.cancelled', channel: 'SMS', content: 'Trip {{tripId}} was cancelled.', variables: ['tripId'] };

  it('accepts a template whose placeholders are all declared notification variables', () => {
    expect(validTemplate(email)).toEqual({ ...email, subject: 'Trip {{tripId}} accepted' });
    expect(validTemplate({ ...sms, variables: ['tripId', 'reason'] }).variables).toEqual(['tripId', 'reason']);
  });

  it('refuses a placeholder the template does not declare, in the field that uses it', () => {
    expect(refusedField(() => validTemplate({ ...email, variables: ['agencyName', 'originName', 'etaMinutes'] }))).toBe('subject');
    expect(refusedField(() => validTemplate({ ...sms, content: 'Trip {{tripId}} for {{hospitalName}}', variables: ['tripId'] }))).toBe('content');
  });

  it('refuses variables that are not notification variables, patient data above all', () => {
    expect(refusedField(() => validTemplate({ ...sms, content: 'For {{patientReference}}', variables: ['patientReference'] }))).toBe('variables');
    expect(refusedField(() => validTemplate({ ...sms, variables: ['tripId', 'tripId'] }))).toBe('variables');
  });

  it('refuses malformed placeholders', () => {
    expect(refusedField(() => validTemplate({ ...sms, content: 'Trip {{tripId} was cancelled.' }))).toBe('content');
    expect(refusedField(() => validTemplate({ ...sms, content: 'Trip {{trip id}} was cancelled.' }))).toBe('content');
    expect(placeholdersOf('{{a}} {{ b }} {{a}}', 'content')).toEqual(['a', 'b']);
  });

  it('holds each channel to its rules: a one-line subject for email only, and a length per channel', () => {
    expect(refusedField(() => validTemplate({ ...email, subject: null }))).toBe('subject');
    expect(refusedField(() => validTemplate({ ...email, subject: 'Trip\n{{tripId}}' }))).toBe('subject');
    expect(refusedField(() => validTemplate({ ...sms, subject: 'Cancelled' }))).toBe('subject');
    expect(refusedField(() => validTemplate({ ...sms, content: 'x'.repeat(321) }))).toBe('content');
    expect(validTemplate({ ...sms, content: 'x'.repeat(320), variables: [] }).content).toHaveLength(320);
    expect(refusedField(() => validTemplate({ ...sms, channel: 'PUSH', content: 'x'.repeat(241) }))).toBe('content');
    expect(refusedField(() => validTemplate({ ...sms, content: '   ' }))).toBe('content');
  });

  it('refuses names that are not dotted lower camel case words', () => {
    expect(refusedField(() => validTemplate({ ...sms, name: 'Trip Cancelled' }))).toBe('name');
    expect(refusedField(() => validTemplate({ ...sms, name: 'cancelled' }))).toBe('name');
  });

  it('renders sample values, the documented examples for the rest, and refuses values for undeclared variables', () => {
    const preview = renderTemplate(validTemplate(email), [{ name: 'agencyName', value: 'Metro EMS' }]);
    expect(preview.subject).toBe('Trip 6f1c2a9e-3b7d-4c5e-9a10-2b3c4d5e6f70 accepted');
    expect(preview.text).toBe('Metro EMS arrives at Allegheny General Main Campus in 12 minutes.');
    expect(preview.values.filter((value) => !value.isExample).map((value) => value.name)).toEqual(['agencyName']);
    expect(refusedField(() => renderTemplate(validTemplate(sms), [{ name: 'agencyName', value: 'Metro EMS' }]))).toBe('sampleValues');
    expect(refusedField(() => renderTemplate(validTemplate(sms), [{ name: 'tripId', value: 'a' }, { name: 'tripId', value: 'b' }]))).toBe('sampleValues');
  });
});

describe('audit details of a change', () => {
  it('keeps each changed field before and after, and only what was set for a new record', () => {
    expect(changeDetails({ isEnabled: true, roles: '' }, { isEnabled: false, roles: '' })).toEqual({
      changed: 'isEnabled',
      'before.isEnabled': true,
      'after.isEnabled': false,
    });
    expect(changeDetails(null, { name: 'trip.done', subject: null })).toEqual({ changed: 'name,subject', 'after.name': 'trip.done', 'after.subject': null });
  });
});
