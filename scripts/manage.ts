/**
 * `migrate`: applies every silo's migrations to its database. `seed`: also seeds the demo network into each
 * empty silo. Databases come from HOSPITAL_DATABASE_URL, EMS_DATABASE_URL, CENTER_DATABASE_URL (embedded PGlite
 * under MEDPORT_DATA_DIR for any that is unset).
 */
import { centerSubgraph, CENTER_DEFAULT_PORT } from '@medport/center';
import { loadSubgraphConfig } from '@medport/config';
import { emsSubgraph, EMS_DEFAULT_PORT } from '@medport/ems';
import { hospitalSubgraph, HOSPITAL_DEFAULT_PORT } from '@medport/hospital';
import { exitOnConfigError, runDatabaseCommand, type SubgraphDefinition } from '@medport/server';

const command = process.argv[2];
if (command !== 'migrate' && command !== 'seed') {
  console.error('Usage: manage.ts migrate|seed');
  process.exit(64);
}

const silos: [SubgraphDefinition<any, any>, number][] = [
  [hospitalSubgraph, HOSPITAL_DEFAULT_PORT],
  [emsSubgraph, EMS_DEFAULT_PORT],
  [centerSubgraph, CENTER_DEFAULT_PORT],
];

for (const [definition, port] of silos) {
  let config;
  try {
    config = loadSubgraphConfig(definition.silo, port);
  } catch (error) {
    exitOnConfigError(error);
  }
  await runDatabaseCommand(definition, config, command);
}
