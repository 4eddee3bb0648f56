import { REQUEST_ID_SIGNATURE_HEADER, signRequestId } from '@medport/auth';
import { generatedEventsSecret } from '@medport/config';
import type { GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<Data = Record<string, any>> {
  status: number;
  /** The request id the server gave this request (the gateway's x-request-id response header). */
  requestId: string | null;
  data?: Data | null;
  errors?: GraphQLFormattedError[];
}

/**
 * A test that calls a subgraph directly stands where the gateway does: an `x-request-id` it chooses is signed as the
 * gateway signs its own, so that the subgraph files the request's audit rows under it. The secret is that of the
 * subgraphs tests start (their data folder is `memory`, see `createTestDatabase`). The gateway takes neither header
 * from a client; it names every request itself.
 */
function withSignedRequestId(headers: Record<string, string>): Record<string, string> {
  const requestId = headers['x-request-id'];
  if (!requestId || headers[REQUEST_ID_SIGNATURE_HEADER] !== undefined) return headers;
  return { ...headers, [REQUEST_ID_SIGNATURE_HEADER]: signRequestId(generatedEventsSecret('memory'), requestId, headers.authorization) };
}

/** Sends one operation over real HTTP, as any client would (a chosen request id signed, see `withSignedRequestId`). */
export async function postGraphQL<Data = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...withSignedRequestId(headers) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, requestId: response.headers.get('x-request-id'), ...body };
}

/** The codes of a response's errors, for assertions. */
export function errorCodes(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
