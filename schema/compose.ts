import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeSupergraph, SUPERGRAPH_FILE } from './composition.js';

// Writes schema/supergraph.graphql. Run after changing any subgraph's SDL, and commit the result: the gateway
// serves this file, and the test suite fails when it is stale.
const result = await composeSupergraph();
if ('errors' in result) {
  console.error(`Composition failed:\n${result.errors.map((error) => `  - ${error}`).join('\n')}`);
  process.exit(1);
}
writeFileSync(SUPERGRAPH_FILE, result.supergraphSdl);
console.log(`Wrote ${fileURLToPath(SUPERGRAPH_FILE)}`);
