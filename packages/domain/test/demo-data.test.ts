import { describe, expect, it } from 'vitest';
import { canTransition, demo, enumValues, TransportStatusEnum } from '../src/index.js';

describe('demo network', () => {
  const network = demo.buildDemoNetwork(new Date('2026-11-21T12:00:00Z'));

  it('is the same on every call, so independently seeded silos agree', () => {
    const again = demo.buildDemoNetwork(new Date('2026-11-21T12:00:00Z'));
    expect(again.trips.map((trip) => [trip.id, trip.status, trip.assignedAgencyId])).toEqual(
      network.trips.map((trip) => [trip.id, trip.status, trip.assignedAgencyId]),
    );
  });

  it('holds several hospitals and agencies, users of every role and a few hundred trips in every status', () => {
    expect(network.hospitals.length).toBeGreaterThanOrEqual(3);
    expect(network.agencies.length).toBeGreaterThanOrEqual(3);
    expect(network.trips.length).toBeGreaterThanOrEqual(200);
    expect(new Set(network.trips.map((trip) => trip.status))).toEqual(new Set(enumValues(TransportStatusEnum)));
    expect(new Set(network.users.map((user) => user.role)).size).toBe(7);
  });

  it('includes the documented demo accounts', () => {
    const emails = network.users.map((user) => user.email);
    for (const email of [
      'admin@center.demo',
      'analyst@center.demo',
      'coordinator@hospital-1.demo',
      'coordinator@hospital-2.demo',
      'dispatcher@agency-1.demo',
      'dispatcher@agency-2.demo',
      'crew@agency-1.demo',
    ]) {
      expect(emails).toContain(email);
    }
  });

  it('gives every trip a history the state machine allows, starting at its request', () => {
    for (const trip of network.trips) {
      expect(trip.milestones[0]!.status).toBe('REQUESTED');
      for (let index = 1; index < trip.milestones.length; index++) {
        const previous = trip.milestones[index - 1]!;
        const current = trip.milestones[index]!;
        expect(canTransition(previous.status, current.status)).toBe(true);
        expect(current.at.getTime()).toBeGreaterThanOrEqual(previous.at.getTime());
      }
      expect(trip.originFacilityId).not.toBe(trip.destinationFacilityId);
    }
  });

  it('assigns agencies exactly to the trips an agency accepted, each able to serve the level', () => {
    for (const trip of network.trips) {
      const accepted = trip.milestones.some((milestone) => milestone.status === 'ACCEPTED');
      expect(trip.assignedAgencyId !== null).toBe(accepted);
      if (trip.assignedAgencyId) {
        const agency = network.agencies.find((candidate) => candidate.id === trip.assignedAgencyId)!;
        expect(agency.levels).toContain(trip.transportLevel);
      }
    }
  });
  it('gives every trip under way a unit of its own', () => {
    const UNDER_WAY = new Set(['ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION']);
    const active = network.trips.filter((trip) => UNDER_WAY.has(trip.status));
    expect(active.length).toBeGreaterThan(10);
    for (const trip of active) {
      const unit = network.units.find((candidate) => candidate.id === trip.assignedUnitId)!;
      expect(unit.agencyId).toBe(trip.assignedAgencyId);
      expect(unit.status).not.toBe('AVAILABLE');
    }
    const units = active.map((trip) => trip.assignedUnitId);
    expect(new Set(units).size).toBe(units.length);
  });

  it('leaves every agency free units of each level it provides, so a dispatcher can assign one', () => {
    for (const agency of network.agencies) {
      for (const level of agency.levels) {
        const free = network.units.filter((unit) => unit.agencyId === agency.id && unit.level === level && unit.status === 'AVAILABLE');
        expect(free.length, `${agency.name} ${level}`).toBeGreaterThanOrEqual(2);
      }
    }
  });
});
