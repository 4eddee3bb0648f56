import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { composeSupergraph, SUPERGRAPH_FILE } from '@medport/schema';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

const OPERATIONS_DIR = new URL('../schema/operations/', import.meta.url);

describe('supergraph schema', () => {
  it('composes without errors and matches the committed schema/supergraph.graphql (run `pnpm compose-schema` after changing SDL)', async () => {
    const result = await composeSupergraph();
    expect('errors' in result ? result.errors : []).toEqual([]);
    if ('supergraphSdl' in result) {
      expect(readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(result.supergraphSdl);
    }
  });

  it('accepts every example operation offered in the IDE', () => {
    const api = Supergraph.build(readFileSync(SUPERGRAPH_FILE, 'utf8')).apiSchema().toGraphQLJSSchema();
    const files = readdirSync(OPERATIONS_DIR).filter((file) => file.endsWith('.graphql'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const errors = validate(api, parse(readFileSync(path.join(OPERATIONS_DIR.pathname, file), 'utf8')));
      expect(errors.map((error) => `${file}: ${error.message}`)).toEqual([]);
    }
  });
});
