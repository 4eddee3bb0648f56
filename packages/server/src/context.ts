import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from './logger.js';

/**
 * Who is calling. Filled from a verified access token once authentication is in place; until then every
 * request is anonymous. Code that must scope data by tenant reads it from here and nowhere else (never from a
 * plain header).
 */
export interface Viewer {
  userId: string;
  role: string;
  hospitalId: string | null;
  agencyId: string | null;
}

export interface RequestContext {
  requestId: string;
  viewer: Viewer | null;
  logger: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Keeps a well-formed incoming request id (the gateway forwards its own) so logs of one request line up. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}
