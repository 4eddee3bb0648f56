import { readFileSync } from 'node:fs';
import { PUBLIC_ROOT_FIELDS } from '@medport/auth';
import { bearer, openLiveConnection, postGraphQL, type GraphQLResponse } from '@medport/testing';
import {
  astFromValue,
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from './support/eventually.js';
import { startStack, type Silo, type Stack } from './support/stack.js';

// Odd text sent into every argument of every operation of the supergraph, derived from the committed schema so a
// new field is covered without touching this file. Text PostgreSQL cannot store (NUL, unpaired surrogates) and
// control characters must be refused as BAD_USER_INPUT before anything runs, through the gateway and straight to the
// subgraphs alike; odd but valid text (bidirectional overrides, joiners, emoji, combining marks) and over-long text
// may be stored or refused as BAD_USER_INPUT. Nothing may ever answer INTERNAL_SERVER_ERROR or an HTTP 5xx.

const SUPERGRAPH = buildSchema(readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8'), { assumeValidSDL: true });

/** Text no service may accept: the boundary refuses it as BAD_USER_INPUT, whatever the argument. */
const REFUSED_TEXT: Record<string, string> = {
  'a NUL': '\u0000',
  'a NUL inside a word': 'Mercy\u0000General',
  'an unpaired high surrogate': 'ward \uD83D',
  'an unpaired low surrogate': '\uDE00 ward',
  'a control character (ESC)': 'red \u001b[31m',
  'a control character (BEL)': 'bell\u0007',
};

/** Text that is odd but valid: accepted, or refused as BAD_USER_INPUT by a field's own rules. */
const VALID_ODD_TEXT: Record<string, string> = {
  'a right-to-left override, zero-width joiners, emoji and combining marks': '\u202Egnp.exe \u{1F469}\u200D\u{1F469}\u200D\u{1F467} Jose\u0301 Z\u0351\u0352\u0353 \uFEFF',
  'tabs and line breaks': 'line one\r\nline two\n\tindented',
  // The gateway takes bodies of at most 100 kB: this is as long as fits.
  'over-long text (60,000 characters)': 'x'.repeat(60_000),
};

/** Sent straight to the subgraph that owns the field, whose bodies may be up to 1 MB. */
const DIRECT_TEXT: Record<string, { text: string; refused: boolean }> = {
  'a NUL': { text: 'a\u0000', refused: true },
  'an unpaired surrogate': { text: '\uD800', refused: true },
  'over-long text (100,000 characters)': { text: 'y'.repeat(100_000), refused: false },
};

const CONCURRENCY = 12;
const RANDOM_ID = '5f0c8a52-8f4e-4b7a-9a3e-2f1d6c0b9e11';

let stack: Stack;
let admin: Record<string, string>;
/**
 * A real id of each kind of record, so that the other arguments of an operation look plausible; each kind is named
 * as it appears, in lower case, in the names of types and arguments (`tripId`, `ServiceRegistration`).
 */
let ids: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  admin = await stack.as();
  const response = await postGraphQL<any>(
    stack.gatewayUrl,
    `{
      hospitals(first: 1) { nodes { id } }
      users(first: 1) { nodes { id } }
      serviceRegistrations(first: 1) { nodes { id } }
      notificationTemplates { id }
      agencies(first: 1) { nodes { id serviceAreas { id } } }
      units(first: 1) { nodes { id } }
      facilities(first: 1) { nodes { id } }
      transportRequests(first: 1) { nodes { id } }
    }`,
    {},
    admin,
  );
  expect(response.errors).toBeUndefined();
  const data = response.data!;
  ids = {
    hospital: data.hospitals.nodes[0].id,
    user: data.users.nodes[0].id,
    serviceregistration: data.serviceRegistrations.nodes[0].id,
    notificationtemplate: data.notificationTemplates[0].id,
    agency: data.agencies.nodes[0].id,
    servicearea: data.agencies.nodes[0].serviceAreas[0]?.id ?? RANDOM_ID,
    unit: data.units.nodes[0].id,
    facility: data.facilities.nodes[0].id,
    transportrequest: data.transportRequests.nodes[0].id,
    trip: data.transportRequests.nodes[0].id,
    tenant: data.hospitals.nodes[0].id,
  };
});

afterAll(async () => {
  await stack?.stop();
});

// --- Operations derived from the schema -----------------------------------------------------------------------

/** One String or ID position of an operation: an argument, or a field of an input object inside one. */
interface Target {
  operation: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** The argument's name, then the input fields down to the text. */
  path: string[];
  silo: Silo;
}

/** The subgraph that resolves a root field, from its `@join__field(graph: …)`. */
function siloOf(field: GraphQLField<unknown, unknown>): Silo {
  const join = field.astNode?.directives?.find((directive) => directive.name.value === 'join__field');
  const graph = join?.arguments?.find((argument) => argument.name.value === 'graph')?.value;
  if (graph?.kind !== Kind.ENUM) throw new Error(`${field.name} names no subgraph`);
  return graph.value.toLowerCase() as Silo;
}

const isText = (type: GraphQLInputType) => {
  const named = getNamedType(type);
  return isScalarType(named) && (named.name === 'String' || named.name === 'ID');
};

/** The paths to every String or ID inside an input type, input objects included (a few levels deep). */
function textPaths(type: GraphQLInputType, depth = 0): string[][] {
  if (isText(type)) return [[]];
  const named = getNamedType(type);
  if (!isInputObjectType(named) || depth > 3) return [];
  return Object.values(named.getFields()).flatMap((field) => textPaths(field.type, depth + 1).map((path) => [field.name, ...path]));
}

function targetsOf(operation: Target['operation'], root: GraphQLObjectType | null | undefined): Target[] {
  if (!root) return [];
  return Object.values(root.getFields()).flatMap((field) =>
    field.args.flatMap((argument) => textPaths(argument.type).map((path) => ({ operation, field, path: [argument.name, ...path], silo: siloOf(field) }))),
  );
}

const HTTP_TARGETS = [...targetsOf('query', SUPERGRAPH.getQueryType()), ...targetsOf('mutation', SUPERGRAPH.getMutationType())];
const SUBSCRIPTION_TARGETS = targetsOf('subscription', SUPERGRAPH.getSubscriptionType());

/** A plausible id for an argument or input field: a real record of the kind its name (or the field's type) says. */
function plausibleId(name: string, field: GraphQLField<unknown, unknown>): string {
  const kinds = Object.keys(ids).sort((a, b) => b.length - a.length);
  const byName = (text: string) => kinds.find((kind) => text.toLowerCase().replace(/[^a-z]/g, '').includes(kind));
  const kind = name === 'id' ? (byName(getNamedType(field.type).name) ?? byName(field.name)) : byName(name);
  return kind ? ids[kind]! : RANDOM_ID;
}

const PLAUSIBLE_TEXT: Record<string, string> = {
  email: 'fuzz.someone@example.org',
  password: 'Fuzz-password-4711',
  key: 'dispatch.maxResponses',
  value: '5',
};

/**
 * A value of `type` with only its required parts filled, plausibly; along `path` (when given) the value leads to
 * `text`, so that the odd text sits in exactly one place.
 */
function valueOf(type: GraphQLInputType, name: string, field: GraphQLField<unknown, unknown>, path: string[] | null, text: string): unknown {
  if (isNonNullType(type)) return valueOf(type.ofType, name, field, path, text);
  if (isListType(type)) return [valueOf(type.ofType, name, field, path, text)];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const inputField of Object.values(type.getFields())) {
      const onPath = path?.[0] === inputField.name;
      if (onPath || (isNonNullType(inputField.type) && inputField.defaultValue === undefined)) {
        value[inputField.name] = valueOf(inputField.type, inputField.name, field, onPath ? path!.slice(1) : null, text);
      }
    }
    return value;
  }
  if (path && path.length === 0) return text;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  switch (type.name) {
    case 'ID':
      return plausibleId(name, field);
    case 'String':
      return PLAUSIBLE_TEXT[name] ?? 'Fuzz value';
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'DateTime':
      return new Date(Date.now() + 3_600_000).toISOString();
    default:
      throw new Error(`No plausible value for scalar ${type.name}`);
  }
}

/** The arguments an operation sends: every required one filled, and the one on the target's path. */
function argumentsOf(target: Target, text: string): { argument: GraphQLArgument; value: unknown }[] {
  return target.field.args.flatMap((argument) => {
    const onPath = target.path[0] === argument.name;
    if (!onPath && !(isNonNullType(argument.type) && argument.defaultValue === undefined)) return [];
    return [{ argument, value: valueOf(argument.type, argument.name, target.field, onPath ? target.path.slice(1) : null, text) }];
  });
}

/** Objects, interfaces and unions need a selection; `__typename` is the one every type has. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  return isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
}

/** The operation for a target, its odd text in a variable. */
function withVariables(target: Target, text: string) {
  const args = argumentsOf(target, text);
  const declarations = args.map(({ argument }) => `$${argument.name}: ${String(argument.type)}`).join(', ');
  const uses = args.map(({ argument }) => `${argument.name}: $${argument.name}`).join(', ');
  return {
    query: `${target.operation} Fuzz${declarations ? `(${declarations})` : ''} { ${target.field.name}${uses ? `(${uses})` : ''}${selectionOf(target.field)} }`,
    variables: Object.fromEntries(args.map(({ argument, value }) => [argument.name, value])),
  };
}

/** The operation for a target, its odd text written into the document as a string literal. */
function withLiterals(target: Target, text: string) {
  const args = argumentsOf(target, text).map(({ argument, value }) => `${argument.name}: ${print(astFromValue(value, argument.type)!)}`);
  return { query: `${target.operation} { ${target.field.name}${args.length ? `(${args.join(', ')})` : ''}${selectionOf(target.field)} }`, variables: {} };
}

const describeTarget = (target: Target) => `${target.field.name}(${target.path.join('.')})`;
/** Probes of one mutation field run one after another (see `Probe`); queries change nothing and run in any order. */
const laneOf = (target: Target) => (target.operation === 'mutation' ? target.field.name : null);
const isPublic = (target: Target) => (PUBLIC_ROOT_FIELDS as readonly string[]).includes(target.field.name);

// --- Sending and judging ----------------------------------------------------------------------------------------

/** One request to send and judge: what is wrong with its answer, or null. */
interface Probe {
  /**
   * Probes of one lane run one after another: two writes to one record at once may race, which is not the point
   * here. Null: a lane of its own.
   */
  lane: string | null;
  run: () => Promise<string | null>;
}

type Operation = { query: string; variables: Record<string, unknown> };

/** A probe that sends one operation (made when it runs: some hold a megabyte) and judges the answer. */
function probe(lane: string | null, what: string, url: string, operation: () => Operation, headers: Record<string, string>, judge: (response: GraphQLResponse) => string | null): Probe {
  return {
    lane,
    run: async () => {
      const problem = judge(await send(url, operation(), headers));
      return problem && `${what}: ${problem}`;
    },
  };
}

/** Runs the probes a few lanes at a time and returns every problem found. */
async function problemsOf(probes: Probe[]): Promise<string[]> {
  const byLane = new Map<string, Probe[]>();
  for (const probe of probes) if (probe.lane !== null) byLane.set(probe.lane, [...(byLane.get(probe.lane) ?? []), probe]);
  const lanes = [...byLane.values(), ...probes.filter((probe) => probe.lane === null).map((probe) => [probe])];
  const problems: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let lane = lanes.shift(); lane; lane = lanes.shift()) {
        for (const probe of lane) {
          const problem = await probe.run();
          if (problem) problems.push(problem);
        }
      }
    }),
  );
  return problems.sort();
}

/** Posts an operation and keeps the answer whatever its body is (a 5xx may have none worth parsing). */
async function send(url: string, operation: Operation, headers: Record<string, string>): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(operation),
  });
  const text = await response.text();
  try {
    return { status: response.status, requestId: null, ...(JSON.parse(text) as object) };
  } catch {
    return { status: response.status, requestId: null, errors: [{ message: text.slice(0, 200) }] };
  }
}

const codesOf = (response: GraphQLResponse) => (response.errors ?? []).map((error) => String(error.extensions?.code));

/** What is wrong with an answer to text that must be refused, or null. */
function notRefused(response: GraphQLResponse): string | null {
  const codes = codesOf(response);
  if (response.status >= 500) return `HTTP ${response.status} ${JSON.stringify(response.errors)}`;
  if (codes.length === 0) return `accepted: ${JSON.stringify(response.data).slice(0, 120)}`;
  if (codes.some((code) => code !== 'BAD_USER_INPUT')) return `answered ${codes.join(', ')}: ${response.errors?.[0]?.message}`;
  return null;
}

/** What is wrong with an answer to odd but valid text, or null: anything but a server error is fine. */
function serverError(response: GraphQLResponse): string | null {
  const codes = codesOf(response);
  if (response.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) return `HTTP ${response.status} ${codes.join(', ')}: ${response.errors?.[0]?.message}`;
  return null;
}

/**
 * Tables only requests add rows to, per silo: the consumers, still catching up on the seed's events after the
 * start, and the offer sweeps add rows elsewhere.
 */
const REQUEST_TABLES: Record<Silo, string[]> = {
  center: ['audit_log', 'hospitals', 'users', 'service_registry', 'notification_templates', 'sign_in_attempts', 'refresh_tokens'],
  hospital: ['audit_log', 'facilities', 'transport_requests', 'agency_preferences'],
  ems: ['audit_log', 'units', 'service_areas'],
};

/** The row counts of the tables requests write. */
async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [silo, tables] of Object.entries(REQUEST_TABLES) as [Silo, string[]][]) {
    for (const table of tables) {
      const [row] = await rows<{ count: number }>(stack, silo, sql`select count(*)::int as count from ${sql.table(table)}`);
      counts[`${silo}.${table}`] = row!.count;
    }
  }
  return counts;
}

/** Statements that write, run by requests since the logs were cleared (consumers and jobs are not logged). */
function writesByRequests(): string[] {
  return Object.entries(stack.statements).flatMap(([silo, log]) =>
    log.statements.filter((statement) => /\b(insert\s+into|delete\s+from|merge\s+into)\b|\bupdate\s+"?\w+"?\s+set\b/i.test(statement)).map((statement) => `${silo}: ${statement.slice(0, 160)}`),
  );
}

describe('odd text in every argument of every operation', () => {
  it('derives the operations from the supergraph', () => {
    const fields = new Set(HTTP_TARGETS.map((target) => target.field.name));
    // A sample of what must be covered: sign-in, a free-text field deep in an input, a list of ids, an id.
    for (const name of ['login', 'logout', 'refreshToken', 'createHospital', 'setFeatureToggle', 'setAgencyPreferences', 'transportRequest']) expect(fields).toContain(name);
    expect(HTTP_TARGETS.map(describeTarget)).toContain('createHospital(input.address.city)');
    expect(HTTP_TARGETS.length).toBeGreaterThan(100);
    expect(SUBSCRIPTION_TARGETS.length).toBeGreaterThan(0);
  });

  it('refuses NUL, control characters and unpaired surrogates as BAD_USER_INPUT, at the gateway and at each subgraph, and changes nothing', async () => {
    const before = await rowCounts();
    for (const log of Object.values(stack.statements)) log.clear();
    const probes: Probe[] = [];
    for (const target of HTTP_TARGETS) {
      const headers = isPublic(target) ? {} : admin;
      const lane = laneOf(target);
      for (const [label, text] of Object.entries(REFUSED_TEXT)) {
        probes.push(probe(lane, `gateway, ${describeTarget(target)} with ${label} in a variable`, stack.gatewayUrl, () => withVariables(target, text), headers, notRefused));
      }
      probes.push(probe(lane, `gateway, ${describeTarget(target)} with a NUL in a string literal`, stack.gatewayUrl, () => withLiterals(target, '\u0000'), headers, notRefused));
      for (const [label, { text, refused }] of Object.entries(DIRECT_TEXT)) {
        if (!refused) continue;
        probes.push(probe(lane, `${target.silo} subgraph, ${describeTarget(target)} with ${label}`, stack.subgraphs[target.silo].url, () => withVariables(target, text), headers, notRefused));
      }
    }
    // Entities the gateway would fetch by key, asked for straight away with a NUL key.
    for (const silo of ['hospital', 'ems', 'center'] as const) {
      for (const typename of entityTypesOf(silo)) {
        const entities = () => ({
          query: `query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }`,
          variables: { representations: [{ __typename: typename, id: '\u0000' }] },
        });
        probes.push(probe(null, `${silo} subgraph, _entities of ${typename} with a NUL id`, stack.subgraphs[silo].url, entities, admin, notRefused));
      }
    }
    expect(await problemsOf(probes)).toEqual([]);
    expect(writesByRequests()).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  });

  it('names the argument or variable that holds the refused text', async () => {
    const variables = await send(
      stack.gatewayUrl,
      { query: `mutation($input: CreateHospitalInput!) { createHospital(input: $input) { id } }`, variables: { input: { name: 'Mercy', address: { line: '1 Main St', city: 'Spring\u0000field', state: 'IL', postalCode: '62701' } } } },
      admin,
    );
    expect(codesOf(variables)).toEqual(['BAD_USER_INPUT']);
    expect(variables.errors![0]!.message).toContain('$input');
    expect(variables.errors![0]!.extensions?.field).toBe('input.address.city');
    const literal = await send(stack.gatewayUrl, { query: `{ hospitals(filter: { nameContains: "a\\u0000" }) { nodes { id } } }`, variables: {} }, admin);
    expect(codesOf(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors![0]!.extensions?.field).toBe('filter.nameContains');
    expect(literal.errors![0]!.message).toContain('`hospitals`');
  });

  it('answers odd but valid text and over-long text without a server error', async () => {
    const probes: Probe[] = [];
    for (const target of HTTP_TARGETS) {
      const headers = isPublic(target) ? {} : admin;
      const lane = laneOf(target);
      for (const [label, text] of Object.entries(VALID_ODD_TEXT)) {
        probes.push(probe(lane, `gateway, ${describeTarget(target)} with ${label}`, stack.gatewayUrl, () => withVariables(target, text), headers, serverError));
      }
      for (const [label, { text, refused }] of Object.entries(DIRECT_TEXT)) {
        if (refused) continue;
        probes.push(probe(lane, `${target.silo} subgraph, ${describeTarget(target)} with ${label}`, stack.subgraphs[target.silo].url, () => withVariables(target, text), headers, serverError));
      }
    }
    // An email of almost a megabyte: as much as a subgraph's body limit lets through.
    const huge = `${'e'.repeat(990_000)}@example.org`;
    const signIn = `mutation($email: String!) { login(email: $email, password: "whatever") { accessToken } }`;
    const openAccount = `mutation($email: String!) { createUser(input: { email: $email, name: "Huge", role: CENTER_ANALYST, password: "Fuzz-password-4711" }) { id } }`;
    probes.push(probe(null, 'center subgraph, login with a 1 MB email', stack.subgraphs.center.url, () => ({ query: signIn, variables: { email: huge } }), {}, serverError));
    probes.push(probe(null, 'center subgraph, createUser with a 1 MB email', stack.subgraphs.center.url, () => ({ query: openAccount, variables: { email: huge } }), admin, serverError));
    expect(await problemsOf(probes)).toEqual([]);
  });
});

/** The entity types a subgraph resolves by `id`, from the supergraph's `@join__type(graph: …, key: "id")`. */
function entityTypesOf(silo: Silo): string[] {
  return Object.values(SUPERGRAPH.getTypeMap()).flatMap((type) => {
    const resolvable = type.astNode?.kind === Kind.OBJECT_TYPE_DEFINITION && type.astNode.directives?.some((directive) => {
      if (directive.name.value !== 'join__type') return false;
      const argument = (name: string) => directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
      const graph = argument('graph');
      const resolvableArgument = argument('resolvable');
      return graph?.kind === Kind.ENUM && graph.value.toLowerCase() === silo && argument('key') !== undefined && !(resolvableArgument?.kind === Kind.BOOLEAN && !resolvableArgument.value);
    });
    return resolvable ? [type.name] : [];
  });
}

// --- Tokens and the HTTP routes ----------------------------------------------------------------------------------

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token made by hand: its header as given, a plausible payload and a signature that cannot be right. */
function forgedToken(header: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: RANDOM_ID, role: 'CENTER_ADMIN', iss: 'medport', aud: 'medport-api', iat: now, nbf: now, exp: now + 600, jti: RANDOM_ID };
  return `${base64url(header)}.${base64url(payload)}.${Buffer.from('not a signature').toString('base64url')}`;
}

const ODD_TOKEN_HEADERS = [
  { alg: 'EdDSA', kid: '\u0000' },
  { alg: 'ES256', typ: 'at+jwt', kid: '\u0000' },
  { alg: 'ES256', typ: 'at+jwt', kid: 'key\u0000' },
  { alg: 'ES256', typ: 'at+jwt', kid: '\uD800' },
  { alg: 'ES256', typ: 'at+jwt\u0000', kid: 'key' },
];

/** A root query field each subgraph resolves itself, to ask it something that needs a token. */
function queryOf(silo: Silo): string {
  const field = Object.values(SUPERGRAPH.getQueryType()!.getFields()).find(
    (candidate) => siloOf(candidate) === silo && candidate.args.every((argument) => !isNonNullType(argument.type)),
  )!;
  return `{ ${field.name}${selectionOf(field)} }`;
}

const siteOf = (silo: Silo) => stack.subgraphs[silo].url.replace(/\/graphql$/, '');

describe('odd text in tokens and query parameters', () => {
  it('refuses a token whose header holds NUL or an unpaired surrogate as UNAUTHENTICATED, at the gateway, at each subgraph and at /analytics.csv', async () => {
    const problems: string[] = [];
    for (const header of ODD_TOKEN_HEADERS) {
      const authorization = bearer(forgedToken(header));
      const answers: [string, GraphQLResponse][] = [
        ['gateway', await send(stack.gatewayUrl, { query: queryOf('center'), variables: {} }, authorization)],
        ...(await Promise.all(
          (['hospital', 'ems', 'center'] as const).map(async (silo) => [`${silo} subgraph`, await send(stack.subgraphs[silo].url, { query: queryOf(silo), variables: {} }, authorization)] as [string, GraphQLResponse]),
        )),
      ];
      const csv = await fetch(`${siteOf('center')}/analytics.csv`, { headers: authorization });
      const csvBody = (await csv.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
      answers.push(['/analytics.csv', { status: csv.status, requestId: null, errors: csvBody.errors as never }]);
      for (const [where, response] of answers) {
        if (response.status !== 401 || codesOf(response).join() !== 'UNAUTHENTICATED') {
          problems.push(`${where}, header ${JSON.stringify(header)}: HTTP ${response.status} ${codesOf(response).join(', ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses NUL and control characters in the query parameters of the HTTP routes as BAD_USER_INPUT', async () => {
    const problems: string[] = [];
    const csvParameters = ['from', 'to', 'period', 'groupBy', 'unknown'];
    for (const parameter of csvParameters) {
      for (const value of ['%00', '2026-01-01%00', '%1B', 'MONTH%07']) {
        const response = await fetch(`${siteOf('center')}/analytics.csv?${parameter}=${value}`, { headers: admin });
        const body = (await response.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string; field?: string } }[] };
        const error = body.errors?.[0]?.extensions;
        if (response.status !== 400 || error?.code !== 'BAD_USER_INPUT' || error.field !== parameter) {
          problems.push(`/analytics.csv?${parameter}=${value}: HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
        }
      }
    }
    // Every other route of every service: whatever it answers, never a server error.
    for (const site of [...(['hospital', 'ems', 'center'] as const).map(siteOf), stack.gatewayUrl.replace(/\/graphql$/, '')]) {
      for (const path of ['/events?after=%00&limit=%00', '/.well-known/jwks.json?x=%00', '/health?x=%00', '/ready?x=%00', '/graphql?query=%7B__typename%7D&operationName=%00', '/graphql?query=%00']) {
        const response = await fetch(`${site}${path}`, { headers: admin });
        await response.arrayBuffer();
        if (response.status >= 500) problems.push(`${site}${path}: HTTP ${response.status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses NUL in the arguments of subscriptions, at the gateway and at the subgraph that serves them', async () => {
    const token = await stack.tokenFor('admin@center.demo');
    const problems: string[] = [];
    for (const target of SUBSCRIPTION_TARGETS) {
      for (const [where, url] of [
        ['gateway', stack.gatewayUrl],
        [`${target.silo} subgraph`, stack.subgraphs[target.silo].url],
      ] as const) {
        for (const operation of [withVariables(target, '\u0000'), withLiterals(target, '\u0000')]) {
          const connection = openLiveConnection(url, token);
          try {
            const subscription = connection.subscribe(operation.query, operation.variables);
            const ended = await Promise.race([subscription.ended, new Promise((resolve) => setTimeout(() => resolve('still running'), 3_000))]);
            const codes = Array.isArray(ended) ? ended.map((error: { extensions?: { code?: string } }) => error.extensions?.code) : [];
            if (codes.join() !== 'BAD_USER_INPUT') problems.push(`${where}, ${describeTarget(target)}: ${JSON.stringify(ended)} ${JSON.stringify(subscription.results)}`.slice(0, 300));
          } finally {
            await connection.dispose();
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
