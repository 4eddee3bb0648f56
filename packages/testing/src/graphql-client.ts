import type { GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<Data = Record<string, any>> {
  status: number;
  /** The request id the server gave this request (the gateway's x-request-id response header). */
  requestId: string | null;
  data?: Data | null;
  errors?: GraphQLFormattedError[];
}

/** Sends one operation over real HTTP, as any client would. */
export async function postGraphQL<Data = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, requestId: response.headers.get('x-request-id'), ...body };
}

/** The codes of a response's errors, for assertions. */
export function errorCodes(response: GraphQLResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
