import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { subgraphTypeDefs, type SubgraphDefinition } from '@medport/server';
import { concatAST } from 'graphql';

export const SUPERGRAPH_FILE = new URL('./supergraph.graphql', import.meta.url);
const CONFIG_FILE = new URL('./supergraph.config.json', import.meta.url);

interface SubgraphEntry {
  name: string;
  package: string;
  export: string;
  routingUrl: string;
}

/**
 * Composes the subgraphs listed in supergraph.config.json from their own SDL (the same SDL each service serves),
 * and returns the supergraph SDL or the composition errors.
 */
export async function composeSupergraph(): Promise<{ supergraphSdl: string } | { errors: string[] }> {
  const config = JSON.parse(readFileSync(CONFIG_FILE, 'utf8')) as { subgraphs: SubgraphEntry[] };
  const services = await Promise.all(
    config.subgraphs.map(async (entry) => {
      const module = (await import(entry.package)) as Record<string, SubgraphDefinition<unknown, unknown>>;
      const definition = module[entry.export];
      if (!definition) throw new Error(`${entry.package} has no export ${entry.export}`);
      return { name: entry.name, url: entry.routingUrl, typeDefs: concatAST(subgraphTypeDefs(definition)) };
    }),
  );
  const result = composeServices(services);
  if (result.errors) return { errors: result.errors.map((error) => error.message) };
  return { supergraphSdl: result.supergraphSdl };
}
