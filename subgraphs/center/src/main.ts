import { runSubgraphCli } from '@medport/server';
import { CENTER_DEFAULT_PORT, centerSubgraph } from './subgraph.js';

await runSubgraphCli(centerSubgraph, CENTER_DEFAULT_PORT, process.argv.slice(2));
