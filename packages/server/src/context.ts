import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Viewer } from '@medport/auth';
import type { Authentication } from './authentication.js';
import type { Logger } from './logger.js';

export type { Viewer };

export interface RequestContext extends Authentication {
  requestId: string;
  logger: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Keeps a well-formed incoming request id (the gateway forwards its own) so logs of one request line up. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}
