import { ConfigError, loadSubgraphConfig, type SubgraphConfig } from '@medport/config';
import { openDatabase } from '@medport/database';
import { createLogger } from './logger.js';
import { prepareDatabase, startSubgraph, type SubgraphDefinition } from './subgraph.js';

/** Stops on SIGINT/SIGTERM after in-flight requests finish, so a rolling restart drops nothing. */
export function stopOnSignals(stop: () => Promise<void>, logger: { info(message: string): void }) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** Fails fast with every configuration problem listed, instead of a stack trace. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}

/** `migrate` applies a silo's migrations; `seed` also seeds the demo network into an empty silo. */
export async function runDatabaseCommand<DB>(
  definition: SubgraphDefinition<DB, unknown>,
  config: SubgraphConfig,
  command: 'migrate' | 'seed',
): Promise<void> {
  const logger = createLogger(`medport-${definition.silo}`, config.logLevel);
  const database = openDatabase<DB>({ name: definition.silo, url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await prepareDatabase(definition, database, command === 'seed' && { trips: config.demoTrips }, logger);
    logger.info(`${definition.silo}: ${command} done on ${database.kind}`);
  } finally {
    await database.close();
  }
}

/**
 * The entry point of every subgraph process: `start` (default) serves the subgraph; `migrate` applies the
 * migrations and exits; `seed` also seeds the demo network into an empty database.
 */
export async function runSubgraphCli<DB, Loaders>(
  definition: SubgraphDefinition<DB, Loaders>,
  defaultPort: number,
  argv: string[],
): Promise<void> {
  let config;
  try {
    config = loadSubgraphConfig(definition.silo, defaultPort);
  } catch (error) {
    exitOnConfigError(error);
  }
  const command = argv[0] ?? 'start';
  if (command === 'migrate' || command === 'seed') return runDatabaseCommand(definition, config, command);
  if (command !== 'start') {
    console.error(`Unknown command "${command}". Use start, migrate or seed.`);
    process.exit(64);
  }
  const running = await startSubgraph(definition, config);
  stopOnSignals(running.stop, running.logger);
}
