import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { demo, newId } from '@medport/domain';
import { publishEvent } from '@medport/events';
import { bearer, openLiveConnection, postGraphQL, type GraphQLResponse } from '@medport/testing';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, siloDb } from './support/eventually.js';
import { REPOSITORY_ROOT } from './support/quick-start.js';
import { startStack, type Stack } from './support/stack.js';

// Every example a newcomer copies: the README's GraphQL and curl examples and every tab of schema/operations/, run on
// the demo network as written, as the account each names, in the order a reader meets them. Ids that only exist
// once an earlier step ran ("…" in the README, "paste-…" in a tab's variables) are filled in the way a reader does:
// from the answer of that step.

const network = demo.buildDemoNetwork();
const README = readFileSync(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8');
const OPERATIONS_DIR = path.join(REPOSITORY_ROOT, 'schema/operations');
const SILO_BY_SUBSCRIPTION: Record<string, 'hospital' | 'ems'> = { tripStatusChanged: 'hospital', tripOffered: 'ems' };

let stack: Stack;
/** What earlier steps gave the reader: the trip being walked through, a free unit, a parked event. */
const found: { trip?: string; unit?: string; parkedEvent?: string } = {};

beforeAll(async () => {
  // An event that keeps failing is parked after two quick attempts, so the event-delivery examples have one to show.
  stack = await startStack({ env: { EVENT_MAX_ATTEMPTS: '2', EVENT_RETRY_BASE_MS: '5', EVENT_RETRY_MAX_MS: '20' } });
  const unknownTrip = newId();
  const [, destination] = network.facilities;
  await siloDb(stack, 'hospital')
    .transaction()
    .execute((trx) =>
      publishEvent(trx, 'TripPlanChanged', unknownTrip, {
        tripId: unknownTrip,
        hospitalId: network.hospitals[0]!.id,
        version: 2,
        destinationFacilityId: destination!.id,
        transportLevel: 'BLS',
        priority: 'ROUTINE',
        specialRequirements: [],
        scheduledPickupAt: null,
      }),
    );
  await eventually(async () => {
    const parked = await postGraphQL<any>(stack.gatewayUrl, `{ emsParkedEvents(first: 5) { nodes { id } } }`, {}, await stack.as('admin@center.demo'));
    expect(parked.data.emsParkedEvents.nodes.length).toBeGreaterThan(0);
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** The demo account an example names: the last "as <email>" before it. */
function accountBefore(text: string, position: number): string | null {
  // A comment may wrap between "as" and the address.
  const named = [...text.slice(0, position).matchAll(/\bas\s+(?:#\s*)?([\w.+-]+@[\w.-]+\.demo)\b/gi)];
  return named.at(-1)?.[1] ?? null;
}

/** Root fields whose answer is a list or a page: each must hold something, or the example showed nothing. */
function emptyAnswers(data: Record<string, unknown> | null | undefined): string[] {
  if (!data) return ['(no data)'];
  return Object.entries(data).flatMap(([field, value]) => {
    if (value === null) return [`${field} is null`];
    const list = Array.isArray(value) ? value : (value as { nodes?: unknown[] }).nodes ?? (value as { rows?: unknown[] }).rows;
    return Array.isArray(list) && list.length === 0 ? [`${field} is empty`] : [];
  });
}

function expectAnswered(response: GraphQLResponse<any>, example: string) {
  expect(response.errors, `${example}\n${JSON.stringify(response.errors)}`).toBeUndefined();
  expect(emptyAnswers(response.data), `${example}\n${JSON.stringify(response.data)}`).toEqual([]);
}

async function run(email: string | null, query: string, variables: Record<string, unknown> = {}, operationName?: string) {
  const headers = email ? await stack.as(email) : {};
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) }),
  });
  return { status: response.status, requestId: null, ...((await response.json()) as object) } as GraphQLResponse<any>;
}

/** What a step's answer gives the reader for the next steps. */
function remember(data: any) {
  if (data?.createTransportRequest?.id) found.trip = data.createTransportRequest.id;
  // A free unit that can carry the walked-through trip (the README's and tab 03's trips are ALS).
  const free = data?.units?.nodes?.find((unit: { level: string }) => unit.level === 'ALS' || unit.level === 'CCT');
  if (free) found.unit = free.id;
  const parked = data?.emsParkedEvents?.nodes?.[0];
  if (parked) found.parkedEvent = parked.id;
}

/** Waits until the walked-through trip is offered to the caller's agency, as a dispatcher refreshing the list does. */
async function untilOffered(email: string) {
  await eventually(async () => {
    const offers = await run(email, `{ availableTrips(first: 100) { nodes { id } } }`);
    expect(offers.errors, JSON.stringify(offers.errors)).toBeUndefined();
    expect(offers.data.availableTrips.nodes.map((node: { id: string }) => node.id)).toContain(found.trip);
  });
}

// ---- schema/operations: the IDE's tabs --------------------------------------------------------------------------

interface Tab {
  file: string;
  text: string;
  variables: Record<string, unknown>;
  operations: { name: string; kind: OperationDefinitionNode['operation']; account: string | null; root: string }[];
}

function readTab(file: string): Tab {
  const text = readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');
  const variablesLine = text.split('\n').find((line) => line.startsWith('# variables:'));
  const variables = variablesLine ? JSON.parse(variablesLine.slice('# variables:'.length)) : {};
  const operations = parse(text)
    .definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({
      name: operation.name!.value,
      kind: operation.operation,
      account: accountBefore(text, operation.loc!.start),
      root: (operation.selectionSet.selections[0] as { name: { value: string } }).name.value,
    }));
  return { file, text, variables, operations };
}

const tabs = readdirSync(OPERATIONS_DIR)
  .filter((file) => file.endsWith('.graphql'))
  .sort()
  .map(readTab);

/** A tab's variables with its "paste-…" ids replaced by what the earlier steps gave. */
function filled(variables: Record<string, unknown>): Record<string, unknown> {
  const sources: Record<string, () => string | undefined> = {
    'paste-the-new-trip-id': () => found.trip,
    'paste-an-offered-trip-id': () => found.trip,
    'paste-the-accepted-trip-id': () => found.trip,
    'paste-an-available-unit-id': () => found.unit,
    'paste-a-parked-event-id': () => found.parkedEvent,
  };
  return JSON.parse(JSON.stringify(variables), (_key, value) => {
    // A placeholder no step has filled yet stays: only the operations that use it would fail on it.
    if (typeof value !== 'string' || !value.startsWith('paste-')) return value;
    return sources[value]?.() ?? value;
  });
}

/** Tab 03's RequestTransport as its account, as the tabs that need a new trip tell the reader to do first. */
async function requestTransportAsTab03() {
  const tab = tabs.find((candidate) => candidate.file.startsWith('03-'))!;
  const request = tab.operations.find((operation) => operation.name === 'RequestTransport')!;
  const response = await run(request.account, tab.text, tab.variables, request.name);
  expectAnswered(response, `${tab.file} ${request.name}`);
  remember(response.data);
}

describe('the example operations of schema/operations (the IDE tabs)', () => {
  it('name the account each operation runs as', () => {
    const unnamed = tabs.flatMap((tab) => tab.operations.filter((operation) => operation.account === null && operation.root !== 'login').map((operation) => `${tab.file} ${operation.name}`));
    expect(unnamed).toEqual([]);
  });

  for (const tab of tabs) {
    it(`${tab.file} runs as written and shows data`, async () => {
      // The dispatcher's tab starts from a trip just requested (its comment says so); the crew's from the one accepted there.
      if (tab.file.startsWith('06-')) {
        await requestTransportAsTab03();
        await untilOffered(tab.operations[0]!.account!);
      }
      for (const operation of tab.operations) {
        const example = `${tab.file} ${operation.name} as ${operation.account}`;
        if (operation.kind === 'subscription') {
          const token = await stack.tokenFor(operation.account!);
          const live = openLiveConnection(stack.gatewayUrl, token);
          try {
            const silo = SILO_BY_SUBSCRIPTION[operation.root]!;
            const listening = stack.subgraphs[silo].live.listenerCount;
            const changes = live.subscribe(tab.text, filled(tab.variables), operation.name);
            await eventually(async () => expect(stack.subgraphs[silo].live.listenerCount).toBeGreaterThan(listening));
            // What the tab's comment says to do next: request a transport, which reaches the subscription.
            await requestTransportAsTab03();
            const [first] = await changes.take(1);
            expect(first!.errors, example).toBeUndefined();
            expect(emptyAnswers(first!.data as Record<string, unknown>), example).toEqual([]);
          } finally {
            await live.dispose();
          }
          continue;
        }
        const response = await run(operation.account, tab.text, filled(tab.variables), operation.name);
        expectAnswered(response, example);
        remember(response.data);
      }
    });
  }
});

// ---- the README --------------------------------------------------------------------------------------------------

interface ReadmeExample {
  text: string;
  account: string | null;
  kind: OperationDefinitionNode['operation'];
}

/** Every operation of the README's graphql blocks, in reading order. */
function readmeOperations(): ReadmeExample[] {
  return [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap(([, block]) =>
    parse(block!)
      .definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
      .map((operation) => ({
        text: block!.slice(operation.loc!.start, operation.loc!.end),
        account: accountBefore(block!, operation.loc!.start),
        kind: operation.operation,
      })),
  );
}

/** An example with its "…" ids filled in from the earlier steps, by the argument and field they stand for. */
function withIds(text: string): string {
  return text.replace(/(\w+): "…"/g, (match, argument: string, offset: number) => {
    const field = /(\w+)\([^()]*$/.exec(text.slice(0, offset))?.[1] ?? '';
    const id = argument === 'unitId' ? found.unit : field.endsWith('ParkedEvent') ? found.parkedEvent : found.trip;
    if (!id) throw new Error(`No earlier step gave the id in ${field}(${match})`);
    return `${argument}: "${id}"`;
  });
}

describe('the examples of the README', () => {
  it('every GraphQL example runs as written, as the account it names, and shows data', async () => {
    const examples = readmeOperations();
    expect(examples.length).toBeGreaterThan(10);
    expect(examples.filter((example) => example.account === null).map((example) => example.text)).toEqual([]);
    for (const example of examples) {
      if (/availableTrips/.test(example.text) && found.trip) await untilOffered(example.account!);
      const text = withIds(example.text);
      const response = await run(example.account, text);
      expectAnswered(response, `${text}\nas ${example.account}`);
      remember(response.data);
    }
  });

  it('every curl example answers with data, the signed-in ones with the token of the sign-in above them', async () => {
    const bodies = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) =>
      [...block!.matchAll(/curl -s http:\/\/localhost:4000\/graphql[\s\S]*?-d '([^']*)'/g)].map(([command, body]) => ({ command: command!, body: body! })),
    );
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const { command, body } of bodies) {
      const signedIn = command.includes('$TOKEN');
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signedIn ? await stack.as('admin@center.demo') : {}) },
        body,
      });
      const answer = (await response.json()) as GraphQLResponse<any>;
      expect(answer.errors, command).toBeUndefined();
      expect(emptyAnswers(answer.data), command).toEqual([]);
    }
  });

  it('every CSV address in the README and the tabs returns rows to center staff', async () => {
    const texts = [README, ...tabs.map((tab) => tab.text)].join('\n');
    const addresses = [...new Set([...texts.matchAll(/http:\/\/localhost:4003(\/analytics\.csv\?[^\s`)]+)/g)].map(([, pathAndQuery]) => pathAndQuery!))];
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) {
      const response = await fetch(new URL(address, stack.subgraphs.center.url), { headers: bearer(await stack.tokenFor('analyst@center.demo')) });
      const csv = await response.text();
      expect(response.status, `${address}: ${csv}`).toBe(200);
      expect(csv.trim().split('\n').length, address).toBeGreaterThan(1);
    }
  });
});
