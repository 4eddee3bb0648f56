import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The file in the data folder that holds its generated events secret. */
export const EVENTS_SECRET_FILE = 'events-secret';

const SECRET_BYTES = 32;
const GENERATED_SECRET = /^[0-9a-f]{64}$/;
const PARTIAL_PREFIX = `.${EVENTS_SECRET_FILE}-`;

/** Thrown when the data folder's secret file exists but does not hold a secret of ours. */
export class EventsSecretError extends Error {
  override name = 'EventsSecretError';
}

let processSecret: string | undefined;

/**
 * The events secret of services that were given no EVENTS_SECRET. Every service on one data folder reads the same
 * one from `<dataDir>/events-secret`, which the first of them to start creates (random, mode 0600), so nobody but
 * the folder's owner can read another silo's feed. With `memory` for a data folder there is no folder to share:
 * the services of one process share a secret of that process, and services in other processes cannot read their
 * feeds (they need EVENTS_SECRET).
 */
export function generatedEventsSecret(dataDir: string): string {
  if (dataDir === 'memory') return (processSecret ??= randomBytes(SECRET_BYTES).toString('hex'));
  const folder = path.resolve(dataDir);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, EVENTS_SECRET_FILE);
  return readSecret(file) ?? createSecret(folder, file);
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (!GENERATED_SECRET.test(secret)) {
    throw new EventsSecretError(
      `${file} does not hold an events secret (64 hexadecimal digits). Delete it to have a new one made on the next ` +
        'start (stop every service of this data folder first: they must all read the same one), or set EVENTS_SECRET.',
    );
  }
  return secret;
}

/**
 * Several services of one folder start at once and race to create it. Each writes a whole candidate to a file of its
 * own, then links it to the final name, which fails when another got there first, and never overwrites: a reader
 * never sees half a file, and everyone ends up reading the one winner.
 */
function createSecret(folder: string, file: string): string {
  removeAbandonedCandidates(folder);
  const candidate = path.join(folder, `${PARTIAL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  const descriptor = openSync(candidate, 'wx', 0o600);
  try {
    writeSync(descriptor, `${randomBytes(SECRET_BYTES).toString('hex')}\n`);
    // On disk before it gets its name, so a crash cannot leave the final name on an empty file.
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  try {
    linkSync(candidate, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new EventsSecretError(`Creating ${file} failed: ${(error as Error).message}. Set EVENTS_SECRET instead.`, { cause: error });
    }
  } finally {
    rmSync(candidate, { force: true });
  }
  return readSecret(file)!;
}

/** Candidates of processes that were killed between writing and linking them. */
function removeAbandonedCandidates(folder: string) {
  for (const entry of readdirSync(folder)) {
    if (!entry.startsWith(PARTIAL_PREFIX)) continue;
    const pid = Number(entry.slice(PARTIAL_PREFIX.length).split('-', 1)[0]);
    if (Number.isInteger(pid) && (pid === process.pid || processRuns(pid))) continue;
    rmSync(path.join(folder, entry), { force: true });
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
