import { runSubgraphCli } from '@medport/server';
import { HOSPITAL_DEFAULT_PORT, hospitalSubgraph } from './subgraph.js';

await runSubgraphCli(hospitalSubgraph, HOSPITAL_DEFAULT_PORT, process.argv.slice(2));
