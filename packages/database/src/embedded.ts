import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Where a silo's embedded database lives under the data folder. */
export function embeddedDatabaseFolder(dataDir: string, name: string): string {
  return path.resolve(dataDir, name);
}

/** An embedded database that cannot be created or used; its message names the folder and what to do. */
export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}

const BUILD_PREFIX = '.building-';

/**
 * Gives a silo's embedded database a complete first state or none at all. A new database is created, migrated and
 * seeded by `build` in a build folder beside the final one (`build` receives the data folder to open it in) and
 * renamed into place, which is atomic on one file system, only once `build` has finished. A first start stopped at
 * any moment, SIGKILL included, leaves no half-made database for the next start to trip over: only a build folder,
 * which the next start removes.
 */
export async function ensureEmbeddedDatabase(
  dataDir: string,
  name: string,
  build: (buildDataDir: string) => Promise<void>,
): Promise<'created' | 'existing'> {
  const folder = embeddedDatabaseFolder(dataDir, name);
  const parent = path.dirname(folder);
  mkdirSync(parent, { recursive: true });
  removeAbandonedBuilds(parent, name);
  if (existsSync(folder)) {
    const entries = readdirSync(folder);
    if (entries.includes('PG_VERSION')) return 'existing';
    if (entries.length > 0) throw unusableEmbeddedDatabase(name, folder, 'it holds files but no database (there is no PG_VERSION file)');
    // An empty folder (made by hand, or by an older MedPort before it wrote anything) holds nothing to keep.
    rmSync(folder, { recursive: true });
  }
  const buildDataDir = path.join(parent, `${BUILD_PREFIX}${name}-${process.pid}`);
  rmSync(buildDataDir, { recursive: true, force: true });
  try {
    await build(buildDataDir);
    renameSync(embeddedDatabaseFolder(buildDataDir, name), folder);
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `Creating the embedded ${name} database in ${folder} failed: ${reasonOf(error)}. Nothing was left in its place; ` +
        'fix the cause (free disk space, permissions of the data folder) and start again.',
      { cause: error },
    );
  } finally {
    rmSync(buildDataDir, { recursive: true, force: true });
  }
  return 'created';
}

/** The error for an existing embedded database that does not open or migrate, with the way out. */
export function unusableEmbeddedDatabase(name: string, folder: string, cause: unknown): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(
    `The embedded ${name} database in ${folder} cannot be used: ${typeof cause === 'string' ? cause : reasonOf(cause)}. ` +
      'It may be damaged (a full disk, an interrupted write) or not be a MedPort database. To start over with a fresh ' +
      `demo network, move it away (mv "${folder}" "${folder}.broken") or delete it (rm -rf "${folder}"), then start again.`,
    typeof cause === 'string' ? {} : { cause },
  );
}

/** Build folders of processes that no longer run: what a killed first start left behind. */
function removeAbandonedBuilds(parent: string, name: string) {
  const prefix = `${BUILD_PREFIX}${name}-`;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && processRuns(pid)) continue;
    rmSync(path.join(parent, entry), { recursive: true, force: true });
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

/**
 * One line on why. PGlite reports a database it cannot start as a WebAssembly abort or exit, which say nothing to
 * an operator (and arrive wrapped, by the migrator for one): those are told as what they mean.
 */
function reasonOf(error: unknown): string {
  let innermost = error;
  while (innermost instanceof Error && innermost.cause !== undefined) innermost = innermost.cause;
  const { name, message } = (typeof innermost === 'object' && innermost !== null ? innermost : {}) as { name?: unknown; message?: unknown };
  if (name === 'RuntimeError' || name === 'ExitStatus') return 'the embedded PostgreSQL engine stopped while opening it';
  const text = error instanceof Error ? error.message : typeof message === 'string' ? message : String(error);
  return text.split('\n', 1)[0]!;
}
