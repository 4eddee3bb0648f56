import { runSubgraphCli } from '@medport/server';
import { EMS_DEFAULT_PORT, emsSubgraph } from './subgraph.js';

await runSubgraphCli(emsSubgraph, EMS_DEFAULT_PORT, process.argv.slice(2));
