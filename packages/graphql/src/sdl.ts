import type { EnumDefinition } from '@medport/domain';

/** Renders an enum of @medport/domain as SDL with descriptions, so every subgraph declares it identically. */
export function enumTypeDefs(...definitions: EnumDefinition<string>[]): string {
  return definitions
    .map((definition) => {
      const values = Object.entries(definition.values)
        .map(([value, description]) => `  ${JSON.stringify(description)}\n  ${value}`)
        .join('\n');
      return `${JSON.stringify(definition.description)}\nenum ${definition.name} {\n${values}\n}`;
    })
    .join('\n\n');
}

/** The federation link every subgraph schema starts with. */
export const FEDERATION_LINK = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])`;

/** Types every subgraph shares: value types are @shareable so each subgraph may resolve them. */
export const SHARED_TYPE_DEFS = `
"An instant in time, as an ISO-8601 string with a time zone (sent back in UTC)."
scalar DateTime

"Pagination state of a connection."
type PageInfo @shareable {
  "Whether another page follows this one."
  hasNextPage: Boolean!
  "Pass as \`after\` to fetch the next page."
  endCursor: String
}

"A point on the map (WGS 84)."
type GeoPoint @shareable {
  latitude: Float!
  longitude: Float!
}

"A postal address."
type Address @shareable {
  line: String!
  city: String!
  state: String!
  postalCode: String!
}

"A point on the map (WGS 84)."
input GeoPointInput {
  latitude: Float!
  longitude: Float!
}

"A time range; either end may be left open. \`from\` must not be after \`to\`."
input TimeRangeInput {
  "Inclusive start."
  from: DateTime
  "Inclusive end."
  to: DateTime
}

"A postal address."
input AddressInput {
  line: String!
  city: String!
  state: String!
  postalCode: String!
}
`;
