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

  it('believes forwarded client addresses from loopback unless told otherwise, and refuses what is no address or block', () => {
    expect(loadSubgraphConfig('center', 4003, {}).trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(loadSubgraphConfig('center', 4003, { TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.0.2.7' }).trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    expect(loadSubgraphConfig('center', 4003, { TRUSTED_PROXIES: 'none' }).trustedProxies).toEqual([]);
    for (const wrong of ['gateway', '10.0.0.0/33', '10.0.0.1/8/8', 'fd00::/129', '10.0.0.0/x']) {
      expect(() => loadSubgraphConfig('center', 4003, { TRUSTED_PROXIES: wrong }), wrong).toThrow(/TRUSTED_PROXIES/);
    }
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
