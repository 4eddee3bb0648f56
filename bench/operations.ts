/** The operations the gateway benchmark sends (bench/gateways.ts); tests check the trip board's SQL with the same one. */

export const TRIP_BOARD = `query TripBoard($first: Int!) {
  transportRequests(first: $first) {
    nodes {
      id status priority transportLevel requestedAt
      origin { name } destination { name }
      hospital { name }
      assignedAgency { name phone }
      assignedUnit { unitNumber }
      responses { status respondedAt agency { name } }
    }
  }
}`;

export const ONE_TRIP = `query Trip($id: ID!) {
  transportRequest(id: $id) {
    id status priority transportLevel requestedAt acceptedAt pickedUpAt completedAt
    origin { name address { city } } destination { name address { city } }
    hospital { name phone }
    assignedAgency { name phone }
    assignedUnit { unitNumber }
    responses { status etaMinutes respondedAt agency { name } }
    history { status occurredAt }
  }
}`;

export const CREATE_TRIP = `mutation CreateTrip($input: CreateTransportRequestInput!) {
  createTransportRequest(input: $input) { id status hospital { name } origin { name } destination { name } }
}`;

// Agencies → their trips → each trip's hospital → its facilities → their trips → each one's agency: entity fetches
// that depend on each other through ems, hospital, center and ems again, like the public benchmark's deep query.
export const DEEP_NESTING = `query DeepNesting {
  agencies(first: 10) {
    nodes {
      name
      trips(first: 5) {
        nodes {
          id status
          hospital {
            name
            facilities(first: 3) {
              nodes {
                name
                trips(first: 5) { nodes { id status assignedAgency { name phone } } }
              }
            }
          }
        }
      }
    }
  }
}`;
