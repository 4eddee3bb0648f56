import { describe, expect, it } from 'vitest';
import { ConfigError, loadSubgraphConfig } from '../src/index.js';

describe('subgraph configuration', () => {
  it('defaults to the embedded database, seeded, on the silo port', () => {
    const config = loadSubgraphConfig('ems', 4002, {});
    expect(config).toMatchObject({ port: 4002, databaseUrl: undefined, seedDemoData: true, dataDir: '.data' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the silo database URL and does not seed PostgreSQL unless asked', () => {
    const config = loadSubgraphConfig('hospital', 4001, { HOSPITAL_DATABASE_URL: 'postgres://u:p@db:5432/hospital', HOSPITAL_PORT: '5001' });
    expect(config).toMatchObject({ port: 5001, databaseUrl: 'postgres://u:p@db:5432/hospital', seedDemoData: false });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadSubgraphConfig('center', 4003, { CENTER_PORT: 'eighty', CENTER_DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('CENTER_PORT');
    expect(problems).toContain('CENTER_DATABASE_URL');
    expect(problems).toContain('LOG_LEVEL');
  });
});
