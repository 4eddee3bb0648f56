import { createHash, randomUUID } from 'node:crypto';

/** A new random id for a row. */
export function newId(): string {
  return randomUUID();
}

/**
 * A stable UUID derived from a name (same shape as a v5 UUID). The silos are seeded independently, so the demo
 * data uses these to agree on the ids of hospitals, agencies and users without talking to each other.
 */
export function stableId(name: string): string {
  const bytes = createHash('sha1').update(`medport:${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
