import type { Executor, JsonValue } from '@medport/database';
import { ANNOUNCED_SETTING_KEYS } from '@medport/domain';
import type { CenterDatabase } from '../../database.js';
import { listSettingValues } from './system.repository.js';

/**
 * The settings MedPort knows, each with its type and bounds. A setting exists in code before it exists in the
 * database: the code decides what a value means, so a key no code reads is refused rather than stored, and a value
 * that code could not use is refused when it is saved, not discovered later by whatever reads it.
 */

export const DISPATCH_MODES = ['PREFERRED', 'GEOGRAPHIC', 'HYBRID'] as const;
export type DispatchMode = (typeof DISPATCH_MODES)[number];

/** The effective settings, typed: the active stored value of each, or its default. */
export interface SystemSettings {
  dispatchMode: DispatchMode;
  responseDeadlineMinutes: number;
  maxResponses: number;
  acceptToPickupSlaMinutes: number;
  onTimeWindowMinutes: number;
}

export interface SettingRule<T extends JsonValue> {
  key: string;
  description: string;
  /** What the network does while the setting has no active row. */
  defaultValue: T;
  /** Read by people (schema, error messages): what a valid value looks like. */
  rule: string;
  /** The value as `T`, or null when it breaks the rule. */
  accept(value: JsonValue): T | null;
}

function integerSetting(key: string, description: string, defaultValue: number, minimum: number, maximum: number, unit: string): SettingRule<number> {
  return {
    key,
    description,
    defaultValue,
    rule: `a whole number of ${unit} from ${minimum} to ${maximum}`,
    accept: (value) => (typeof value === 'number' && Number.isInteger(value) && value >= minimum && value <= maximum ? value : null),
  };
}

function choiceSetting<T extends string>(key: string, description: string, defaultValue: T, choices: readonly T[]): SettingRule<T> {
  return {
    key,
    description,
    defaultValue,
    rule: `one of ${choices.join(', ')}`,
    accept: (value) => (typeof value === 'string' && (choices as readonly string[]).includes(value) ? (value as T) : null),
  };
}

// Bounds are those of the field: an offer deadline under 5 minutes leaves agencies no time to answer, one over a day
// would keep trips waiting that need another plan; SLAs are measured in minutes of a single shift.
export const SETTING_RULES: { readonly [Name in keyof SystemSettings]: SettingRule<SystemSettings[Name]> } = {
  dispatchMode: choiceSetting('dispatch.mode', 'How trips are offered: PREFERRED, GEOGRAPHIC or HYBRID.', 'HYBRID', DISPATCH_MODES),
  responseDeadlineMinutes: integerSetting(
    ANNOUNCED_SETTING_KEYS.responseDeadlineMinutes,
    'Minutes agencies have to answer an offer before the trip expires.',
    60,
    5,
    1440,
    'minutes',
  ),
  maxResponses: integerSetting('dispatch.maxResponses', 'Most agencies a trip is offered to at once.', 5, 1, 50, 'agencies'),
  acceptToPickupSlaMinutes: integerSetting(
    'sla.acceptToPickupMinutes',
    'Target minutes from acceptance to arrival at the pickup.',
    60,
    5,
    720,
    'minutes',
  ),
  onTimeWindowMinutes: integerSetting(
    'sla.onTimeWindowMinutes',
    'A pickup within this many minutes of the scheduled time is on time.',
    15,
    1,
    240,
    'minutes',
  ),
};

export type SettingName = keyof SystemSettings;

const RULES_BY_KEY: ReadonlyMap<string, { name: SettingName; rule: SettingRule<JsonValue> }> = new Map(
  (Object.entries(SETTING_RULES) as [SettingName, SettingRule<JsonValue>][]).map(([name, rule]) => [rule.key, { name, rule }]),
);

/** The rule of a known key, or undefined: callers decide whether an unknown key is an error. */
export function settingRule(key: string): SettingRule<JsonValue> | undefined {
  return RULES_BY_KEY.get(key)?.rule;
}

/**
 * The settings another silo applies, which the center announces with SystemSettingChanged whenever they change:
 * the hospital stamps the offer deadline on each new trip, without asking the center at request time.
 */
export const SETTINGS_ANNOUNCED_TO_SILOS: ReadonlySet<string> = new Set(Object.values(ANNOUNCED_SETTING_KEYS));

export const KNOWN_SETTING_KEYS: readonly string[] = [...RULES_BY_KEY.keys()];

/**
 * The network's effective settings, for any center module that needs them (SLA analytics, dispatch). A missing or
 * inactive row means the default; so does a stored value that breaks its rule, which only a hand edit of the table
 * can produce, because one bad row must not stop what reads every setting.
 */
export async function readSettings(db: Executor<CenterDatabase>): Promise<SystemSettings> {
  const rows = await listSettingValues(db, KNOWN_SETTING_KEYS);
  const stored = new Map(rows.filter((row) => row.is_active).map((row) => [row.key, row.value]));
  return {
    dispatchMode: effectiveValue(SETTING_RULES.dispatchMode, stored),
    responseDeadlineMinutes: effectiveValue(SETTING_RULES.responseDeadlineMinutes, stored),
    maxResponses: effectiveValue(SETTING_RULES.maxResponses, stored),
    acceptToPickupSlaMinutes: effectiveValue(SETTING_RULES.acceptToPickupSlaMinutes, stored),
    onTimeWindowMinutes: effectiveValue(SETTING_RULES.onTimeWindowMinutes, stored),
  };
}

function effectiveValue<T extends JsonValue>(rule: SettingRule<T>, stored: ReadonlyMap<string, JsonValue>): T {
  const value = stored.get(rule.key);
  return (value === undefined ? null : rule.accept(value)) ?? rule.defaultValue;
}
