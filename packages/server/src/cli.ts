import { ConfigError, EventsSecretError, loadSubgraphConfig, type SubgraphConfig } from '@medport/config';
import { EmbeddedDatabaseError } from '@medport/database';
import { createLogger, type Logger } from './logger.js';
import { openSiloDatabase, startSubgraph, type SubgraphDefinition } from './subgraph.js';

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
  const database = await openSiloDatabase(definition, config, logger, { seed: command === 'seed' });
  try {
    logger.info(`${definition.silo}: ${command} done on ${database.kind}`);
  } finally {
    await database.close();
  }
}

/**
 * Ends a process whose silo could not start. A database the operator must act on gets its message alone (it names
 * the folder and what to do); anything else is logged with its stack, since it is a bug or an outage to look into.
 */
export function exitOnStartFailure(error: unknown, logger: Logger): never {
  if (error instanceof EmbeddedDatabaseError || error instanceof EventsSecretError) console.error(error.message);
  else logger.fatal({ err: error }, `could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
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
  if (command !== 'start' && command !== 'migrate' && command !== 'seed') {
    console.error(`Unknown command "${command}". Use start, migrate or seed.`);
    process.exit(64);
  }
  try {
    if (command !== 'start') return await runDatabaseCommand(definition, config, command);
    const running = await startSubgraph(definition, config);
    stopOnSignals(running.stop, running.logger);
  } catch (error) {
    exitOnStartFailure(error, createLogger(`medport-${definition.silo}`, config.logLevel));
  }
}
