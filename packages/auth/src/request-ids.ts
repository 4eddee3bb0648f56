import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where the gateway puts its signature of the request id it forwards to a subgraph (see `signRequestId`). */
export const REQUEST_ID_SIGNATURE_HEADER = 'x-request-id-signature';

/**
 * The gateway's signature of a request id it forwards to a subgraph: an HMAC with a key derived from the secret the
 * gateway and the silos share (their events secret; derived, so that a signature is worth nothing anywhere else),
 * over the id and the Authorization header it travels with, so that a signed id seen once cannot be sent again
 * with another token.
 */
export function signRequestId(sharedSecret: string, requestId: string, authorization: string | null | undefined): string {
  const key = createHmac('sha256', sharedSecret).update('medport request id').digest();
  return createHmac('sha256', key).update(`${requestId}\n${authorization ?? ''}`).digest('base64url');
}

/** Whether `signature` is the gateway's for this id and Authorization header. */
export function isSignedRequestId(sharedSecret: string, requestId: string, authorization: string | null | undefined, signature: string): boolean {
  const expected = Buffer.from(signRequestId(sharedSecret, requestId, authorization));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
