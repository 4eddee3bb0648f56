import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { Ide, launchChromium } from './support/browser.js';
import { startStack, type Stack } from './support/stack.js';
import { requestTrip } from './support/trips.js';

// The gateway's self-hosted GraphiQL in a real headless Chromium: one sign-in serves every tab (HTTP and graphql-ws),
// a header typed into a tab still wins, the session's end is handled, and a refused subscription says so. Every test
// also checks that the page fetched nothing from anywhere but the gateway and logged no errors.

let stack: Stack;
let browser: Browser;
let current: Ide | undefined;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(async () => {
  const opened = current;
  current = undefined;
  if (!opened) return;
  await opened.close();
  expect(opened.foreignRequests, 'requests that left the gateway').toEqual([]);
  // A refused token answers 401, which Chromium logs as a failed resource; the tests provoke those on purpose.
  expect(opened.errors.filter((error) => !/status of 401/.test(error))).toEqual([]);
});

const open = async (beforeLoad?: Parameters<typeof Ide.open>[2]) => (current = await Ide.open(browser, stack.gatewayUrl, beforeLoad));

const codesOf = (result: any): unknown[] => (result.errors ?? []).map((error: any) => error.extensions?.code);

/** Waits until the gateway holds one more subscriber than `before`, listening upstream on its silo. */
const subscribed = (before: number) =>
  eventually(async () => {
    const stats = stack.gateway.subscriptionStats();
    expect(stats.subscribers).toBe(before + 1);
    expect(stack.subgraphs.hospital.live.listenerCount + stack.subgraphs.ems.live.listenerCount).toBe(stats.upstreams);
  });

describe('GraphiQL at the gateway', () => {
  it('loads from the gateway alone and reads the schema for its docs before anyone signs in', async () => {
    const ide = await open();
    const { page } = ide;
    await ide.signInForm.waitFor();
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer', { hasText: 'subscription: Subscription' }).waitFor();
    const introspection = ide.posted.find((request) => request.body.includes('IntrospectionQuery'));
    expect(introspection).toBeDefined();
    expect(await introspection!.status).toBe(200);
  });

  it('one sign-in in GraphiQL authenticates every tab', async () => {
    const ide = await open();
    await ide.openTab('TripsAcrossSilos');
    await ide.run('TripsAcrossSilos');
    expect(codesOf(await ide.nextResult())).toContain('UNAUTHENTICATED');

    await ide.signIn('coordinator@hospital-1.demo');
    await ide.signedIn.filter({ hasText: 'Jordan Coordinator 1' }).waitFor();
    await ide.signedIn.filter({ hasText: 'HOSPITAL_STAFF' }).waitFor();
    await ide.signedIn.filter({ hasText: 'left' }).waitFor();

    await ide.run('TripsAcrossSilos');
    const trips = await ide.nextResult();
    expect(trips.errors).toBeUndefined();
    expect(trips.data.transportRequests.nodes.length).toBeGreaterThan(0);

    await ide.openTab('AgenciesAndUnits');
    await ide.run('AgenciesAndUnits');
    const agencies = await ide.nextResult();
    expect(agencies.errors).toBeUndefined();
    expect(agencies.data.agencies.nodes.length).toBeGreaterThan(0);
  });

  it("running the SignIn tab's login signs every other tab in", async () => {
    const ide = await open();
    // The first tab is SignIn, with the center admin's email and password as its variables.
    await ide.run('SignIn');
    expect((await ide.nextResult()).data.login.accessToken).toEqual(expect.any(String));
    await ide.signedIn.filter({ hasText: 'Casey Center-Admin' }).waitFor();
    await ide.signedIn.filter({ hasText: 'CENTER_ADMIN' }).waitFor();

    // Event delivery is for center administrators only.
    await ide.openTab('EventDelivery');
    await ide.run('EventDelivery');
    const delivery = await ide.nextResult();
    expect(delivery.errors).toBeUndefined();
    expect(delivery.data.hospitalEventConsumers.length).toBeGreaterThan(0);
  });

  it("a header typed into a tab's Headers wins over the shared sign-in, over HTTP and WebSocket", async () => {
    const ide = await open();
    await ide.signIn('coordinator@hospital-1.demo');

    await ide.openTab('TripsAcrossSilos');
    await ide.setHeaders('{ "Authorization": "Bearer not-a-token" }');
    await ide.run('TripsAcrossSilos');
    expect(codesOf(await ide.nextResult())).toContain('UNAUTHENTICATED');
    const sent = ide.posted.filter((request) => request.body.includes('"operationName":"TripsAcrossSilos"'));
    expect(await Promise.all(sent.map((request) => request.authorization))).toEqual(['Bearer not-a-token']);

    await ide.openTab('TripBoard');
    await ide.setHeaders('{ "authorization": "Bearer not-a-token" }');
    await ide.run('TripBoard');
    const refused = await ide.nextResult(10_000);
    expect(refused.errors[0].message).toBe("The gateway refused the subscription (4403 Forbidden): the Authorization in this tab's Headers was refused.");
    await eventually(async () => expect(await ide.idle()).toBe(true));
    // Refused were the tabs' own tokens, never the shared one: the page is still signed in.
    expect(await ide.signedIn.isVisible()).toBe(true);
  });

  it('a subscription started in GraphiQL receives events with the shared token', async () => {
    const ide = await open();
    // The socket is opened under the page's policy: connect-src 'self' covers ws:// to the same host.
    expect(ide.csp).toContain("connect-src 'self'");
    await ide.signIn('coordinator@hospital-1.demo');
    await ide.openTab('TripBoard');
    await ide.recordResults();
    const before = stack.gateway.subscriptionStats().subscribers;
    await ide.run('TripBoard');
    await subscribed(before);
    expect(await ide.idle()).toBe(false);

    const tripId = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'));
    const event = await eventually(async () => {
      const events = (await ide.recordedResults()).filter((result) => result.data?.tripStatusChanged?.transportRequest.id === tripId);
      expect(events.length).toBeGreaterThan(0);
      return events[0];
    });
    expect(event.errors).toBeUndefined();
    expect(event.data.tripStatusChanged).toMatchObject({
      status: 'REQUESTED',
      transportRequest: { id: tripId, hospital: { name: 'Riverside General Hospital' } },
    });

    // Signing out ends the subscriptions that used the sign-in, and says why.
    await ide.signedIn.getByRole('button', { name: 'Sign out' }).click();
    await eventually(async () => expect(await ide.idle()).toBe(true));
    expect(JSON.parse(await ide.result()).errors[0].message).toMatch(/^Signed out: the subscription ended/);
    await eventually(async () => expect(stack.gateway.subscriptionStats().subscribers).toBe(before));
  });

  it('a subscription refused with 4403 shows the refusal instead of spinning', async () => {
    const ide = await open();
    await ide.openTab('TripBoard');
    await ide.run('TripBoard');
    // At once: graphql-ws on its own would retry a refusal for half a minute, the result pane spinning meanwhile.
    const refused = await ide.nextResult(10_000);
    expect(refused).toEqual({
      errors: [
        {
          message: 'The gateway refused the subscription (4403 Forbidden): sign in first.',
          extensions: { closeCode: 4403, closeReason: 'Forbidden' },
        },
      ],
    });
    await eventually(async () => expect(await ide.idle()).toBe(true));
    // Nothing is left open behind the refusal.
    await eventually(async () => expect(stack.gateway.subscriptionStats().connections).toBe(0));
  });

  it('renews the access token before it runs out, and every tab goes on with the new one', async () => {
    const ide = await open((page) => page.clock.install());
    await ide.signIn('dispatcher@agency-1.demo');
    const first = (await ide.storedSession())!;
    await ide.signedIn.filter({ hasText: 'renews itself' }).waitFor();

    await ide.page.clock.fastForward('14:05');
    await eventually(async () => {
      const renewed = (await ide.storedSession())!;
      expect(renewed.accessToken).not.toBe(first.accessToken);
    });
    const renew = ide.posted.find((request) => request.body.includes('MedPortIdeRenew'));
    expect(await renew!.status).toBe(200);
    await ide.signedIn.waitFor();

    await ide.openTab('AvailableTrips');
    await ide.run('AvailableTrips');
    const offers = await ide.nextResult();
    expect(offers.errors).toBeUndefined();
    expect(offers.data.availableTrips).toBeDefined();
    const sent = ide.posted.filter((request) => request.body.includes('"operationName":"AvailableTrips"'));
    expect(await Promise.all(sent.map((request) => request.authorization))).toEqual([`Bearer ${(await ide.storedSession())!.accessToken}`]);
  });

  it('a session kept over a reload signs out when its token runs out, and stops sending it', async () => {
    const token = await stack.tokenFor('crew@agency-1.demo');
    const ide = await open(async (page) => {
      await page.clock.install();
      // What the page keeps for a reload: the access token, not the refresh token.
      await page.addInitScript(
        ([key, value]) => (globalThis as unknown as { sessionStorage: any }).sessionStorage.setItem(key, value),
        ['medport:session', JSON.stringify({ accessToken: token, expiresAt: Date.now() + 10 * 60_000, userId: 'crew', email: 'crew@agency-1.demo', name: 'Sam Crew 1', role: 'EMS_CREW' })],
      );
    });
    await ide.signedIn.filter({ hasText: 'Sam Crew 1' }).waitFor();
    await ide.signedIn.filter({ hasText: 'sign in again then' }).waitFor();

    await ide.page.clock.fastForward('10:01');
    await ide.signInForm.waitFor();
    await ide.message.filter({ hasText: 'Signed out: the access token expired' }).waitFor();
    expect(await ide.storedSession()).toBeNull();

    // The token itself is still good at the gateway: refused here means the page no longer sent it.
    await ide.openTab('TripsAcrossSilos');
    await ide.run('TripsAcrossSilos');
    expect(codesOf(await ide.nextResult())).toContain('UNAUTHENTICATED');
  });

  it('a stored token the gateway refuses signs the IDE out at its first refusal', async () => {
    // As after the services restarted with new signing keys: the page still holds a token nobody accepts.
    const ide = await open((page) =>
      page.addInitScript(
        ([key, value]) => (globalThis as unknown as { sessionStorage: any }).sessionStorage.setItem(key, value),
        ['medport:session', JSON.stringify({ accessToken: 'not-a-token', expiresAt: Date.now() + 10 * 60_000, userId: 'someone', email: 'someone@example.org', name: null, role: null })],
      ),
    );
    await ide.signedIn.filter({ hasText: 'someone@example.org' }).waitFor();
    await ide.openTab('TripsAcrossSilos');
    await ide.run('TripsAcrossSilos');
    expect(codesOf(await ide.nextResult())).toContain('UNAUTHENTICATED');
    await ide.message.filter({ hasText: 'Signed out: the gateway refused the token' }).waitFor();
    await ide.signInForm.waitFor();
    expect(await ide.storedSession()).toBeNull();
  });
});
