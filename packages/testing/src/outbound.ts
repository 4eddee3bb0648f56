import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A preload (`node --import <this>`) that appends every outbound connection and lookup to MEDPORT_OUTBOUND_LOG. */
export const OUTBOUND_RECORDER = fileURLToPath(new URL('./outbound-recorder.mjs', import.meta.url));

export interface OutboundAttempt {
  pid: number;
  /** The script the process ran, to tell the services apart. */
  script: string | null;
  kind: 'connect' | 'dns' | 'udp';
  /** `host:port`, `unix:<path>` or, for a lookup, the name looked up. */
  target: string;
}

/** Environment that makes a Node process, and every Node process it starts, record its outbound attempts to `logFile`. */
export function recordOutboundTo(logFile: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // Quoted: NODE_OPTIONS splits on spaces, and a checkout's path may hold some.
  const options = [env.NODE_OPTIONS, `--import "${OUTBOUND_RECORDER}"`].filter(Boolean).join(' ');
  return { ...env, NODE_OPTIONS: options, MEDPORT_OUTBOUND_LOG: logFile };
}

export function readOutboundAttempts(logFile: string): OutboundAttempt[] {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutboundAttempt);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** `host:port`, with an IPv6 host's own colons and brackets. */
export function hostAndPort(target: string): [string, number] {
  const separator = target.lastIndexOf(':');
  return [target.slice(0, separator).replace(/^\[|\]$/g, ''), Number(target.slice(separator + 1))];
}

/**
 * The attempts that would leave this machine: anything but loopback addresses, local sockets, and lookups of this
 * machine's names (listening on 0.0.0.0 looks that address up too). For runs whose every peer is local.
 */
export function attemptsBeyondThisMachine(attempts: readonly OutboundAttempt[]): OutboundAttempt[] {
  return attempts.filter((attempt) => {
    if (attempt.kind === 'connect') return !attempt.target.startsWith('unix:') && !LOOPBACK_NAMES.has(hostAndPort(attempt.target)[0]);
    if (attempt.kind === 'dns') return !LOOPBACK_NAMES.has(attempt.target) && attempt.target !== '0.0.0.0';
    return true;
  });
}
