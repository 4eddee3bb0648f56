import { badInput, requireDistinct, requireText } from '@medport/graphql';
import type { NotificationChannel } from './system.table.js';

/**
 * The values a notification may carry, each with an example for previews. Notifications leave the network (an
 * email, a text message, a phone's lock screen), so this list names trips, places and organisations only: no
 * patient reference, special requirement or note is a variable, and a template cannot ask for one.
 */
export const NOTIFICATION_VARIABLES: Readonly<Record<string, { description: string; example: string }>> = {
  tripId: { description: 'The trip’s id.', example: '6f1c2a9e-3b7d-4c5e-9a10-2b3c4d5e6f70' },
  transportLevel: { description: 'The level of care: BLS, ALS, CCT or WHEELCHAIR_VAN.', example: 'ALS' },
  priority: { description: 'How urgent the trip is: ROUTINE, URGENT or EMERGENT.', example: 'URGENT' },
  status: { description: 'The trip’s status, e.g. ACCEPTED.', example: 'ACCEPTED' },
  hospitalName: { description: 'The requesting hospital.', example: 'Allegheny General Hospital' },
  originName: { description: 'The facility the patient is picked up at.', example: 'Allegheny General Main Campus' },
  destinationName: { description: 'The facility the patient is taken to.', example: 'Mercy Rehabilitation Center' },
  agencyName: { description: 'The EMS agency concerned.', example: 'Three Rivers Ambulance' },
  unitNumber: { description: 'The ambulance sent, by its unit number.', example: 'TRA-ALS-02' },
  etaMinutes: { description: 'Minutes until the unit expects to reach the pickup.', example: '12' },
  requestedAt: { description: 'When the trip was requested.', example: '2025-03-01 08:00' },
  scheduledPickupAt: { description: 'When the pickup is scheduled.', example: '2025-03-01 09:30' },
  responseDeadline: { description: 'When offers of the trip expire.', example: '2025-03-01 09:00' },
  party: { description: 'Who cancelled: HOSPITAL, EMS or CENTER.', example: 'HOSPITAL' },
  reason: { description: 'Why the trip was cancelled, e.g. SCHEDULING_CHANGE.', example: 'DESTINATION_UNAVAILABLE' },
};

/**
 * Limits per channel. A text message is billed per 160-character segment: two segments is the most a dispatch
 * notice should cost. A push notification's text is cut on a lock screen past about 240 characters. An email's
 * subject line shows about 200 characters at most in any client.
 */
export const TEMPLATE_LIMITS = {
  nameLength: 100,
  subjectLength: 200,
  contentLength: { EMAIL: 5000, SMS: 320, PUSH: 240 } satisfies Record<NotificationChannel, number>,
  variables: 20,
  sampleValueLength: 200,
} as const;

/** `{{name}}`, with optional spaces inside the braces. */
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
// Dotted, lower camel case parts, as the seeded names (`trip.offered`): the sender finds a template by its name.
const TEMPLATE_NAME = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;

export interface NotificationTemplateInput {
  name: string;
  channel: NotificationChannel;
  subject?: string | null;
  content: string;
  variables: string[];
}

export interface ValidTemplate {
  name: string;
  channel: NotificationChannel;
  subject: string | null;
  content: string;
  variables: string[];
}

/** The placeholder names a text uses, in order of first use; BAD_USER_INPUT for braces that are not one. */
export function placeholdersOf(text: string, field: string): string[] {
  const names = [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    throw badInput(`\`${field}\` has a malformed placeholder: write {{variableName}} (letters and digits, starting with a letter).`, field);
  }
  return [...new Set(names)];
}

function requireTemplateName(value: string): string {
  const name = requireText(value, 'name', TEMPLATE_LIMITS.nameLength);
  if (!TEMPLATE_NAME.test(name)) throw badInput('`name` must be dotted lower camel case words, such as trip.offered.', 'name');
  return name;
}

function requireVariables(variables: readonly string[]): string[] {
  if (variables.length > TEMPLATE_LIMITS.variables) throw badInput(`\`variables\` must list at most ${TEMPLATE_LIMITS.variables} names.`, 'variables');
  for (const variable of variables) {
    if (!Object.hasOwn(NOTIFICATION_VARIABLES, variable)) {
      throw badInput(`\`variables\`: "${variable}" is not a notification variable; see notificationVariables for those there are.`, 'variables');
    }
  }
  return [...requireDistinct(variables, 'variables')];
}

/** The subject a channel takes: required for email, absent from text messages and push notifications. */
function subjectFor(channel: NotificationChannel, value: string | null | undefined): string | null {
  const given = value === null || value === undefined || value.trim() === '' ? null : value;
  if (channel !== 'EMAIL') {
    if (given !== null) throw badInput(`A ${channel} notification has no subject; leave \`subject\` out.`, 'subject');
    return null;
  }
  if (given === null) throw badInput('An EMAIL template needs a `subject`.', 'subject');
  const subject = requireText(given, 'subject', TEMPLATE_LIMITS.subjectLength);
  if (/[\r\n]/.test(subject)) throw badInput('`subject` must be one line.', 'subject');
  return subject;
}

/**
 * A template as it may be stored: checked field by field in the order a form shows them, so the first error names
 * the first field to fix. Every placeholder must be declared in `variables`, and every declared variable must be a
 * notification variable; a declared variable the text does not use is allowed (the sender supplies it anyway).
 */
export function validTemplate(input: NotificationTemplateInput): ValidTemplate {
  const name = requireTemplateName(input.name);
  const channel = input.channel;
  const subject = subjectFor(channel, input.subject);
  const limit = TEMPLATE_LIMITS.contentLength[channel];
  const content = requireText(input.content, 'content', limit);
  const variables = requireVariables(input.variables);
  for (const [field, text] of [['subject', subject], ['content', content]] as const) {
    if (text === null) continue;
    const undeclared = placeholdersOf(text, field).find((placeholder) => !variables.includes(placeholder));
    if (undeclared) throw badInput(`\`${field}\` uses {{${undeclared}}}, which \`variables\` does not declare.`, field);
  }
  return { name, channel, subject, content, variables };
}

export interface SampleValue {
  name: string;
  value: string;
}

export interface RenderedValue extends SampleValue {
  /** True when the value is the variable's documented example, not one the caller gave. */
  isExample: boolean;
}

export interface RenderedNotification {
  subject: string | null;
  text: string;
  values: RenderedValue[];
}

/**
 * Fills in a valid template's placeholders: with the sample values given, the documented examples for the rest.
 * A sample value for a variable the template does not declare is refused, as a sender passing it would be wrong.
 */
export function renderTemplate(template: ValidTemplate, sampleValues: readonly SampleValue[]): RenderedNotification {
  requireDistinct(
    sampleValues.map((sample) => sample.name),
    'sampleValues',
  );
  for (const sample of sampleValues) {
    if (!template.variables.includes(sample.name)) {
      throw badInput(`\`sampleValues\`: the template does not declare a variable "${sample.name}".`, 'sampleValues');
    }
    if (sample.value.length > TEMPLATE_LIMITS.sampleValueLength) {
      throw badInput(`\`sampleValues\`: the value of "${sample.name}" must be at most ${TEMPLATE_LIMITS.sampleValueLength} characters.`, 'sampleValues');
    }
  }
  const given = new Map(sampleValues.map((sample) => [sample.name, sample.value]));
  const values = template.variables.map((name) =>
    given.has(name) ? { name, value: given.get(name)!, isExample: false } : { name, value: NOTIFICATION_VARIABLES[name]!.example, isExample: true },
  );
  const byName = new Map(values.map((entry) => [entry.name, entry.value]));
  const fill = (text: string) => text.replace(PLACEHOLDER, (_, name: string) => byName.get(name) ?? '');
  return { subject: template.subject === null ? null : fill(template.subject), text: fill(template.content), values };
}
