import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isSignedRequestId, REQUEST_ID_SIGNATURE_HEADER, type Viewer } from '@medport/auth';
import type { Authentication } from './authentication.js';
import type { Logger } from './logger.js';

export type { Viewer };

export interface RequestContext extends Authentication {
  requestId: string;
  logger: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

const headerOf = (request: IncomingMessage, name: string) => {
  const header = request.headers[name];
  return Array.isArray(header) ? header[0] : header;
};

/**
 * The id this request's log lines and audit rows are filed under: the gateway's, when it signed it for this
 * request's token, so that one request can be followed through every silo. Any other id is the caller's choice,
 * and would let a request sent straight to a subgraph file its audit rows under someone else's request: such a
 * request gets an id of its own.
 */
export function requestIdOf(request: IncomingMessage, sharedSecret: string): string {
  const id = headerOf(request, 'x-request-id');
  const signature = headerOf(request, REQUEST_ID_SIGNATURE_HEADER);
  return id && signature && REQUEST_ID.test(id) && isSignedRequestId(sharedSecret, id, request.headers.authorization, signature) ? id : randomUUID();
}
