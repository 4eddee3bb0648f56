import { loadSubgraphConfig } from '@medport/config';
import { emsSubgraph } from '@medport/ems';
import type { RunningGateway } from '@medport/gateway';
import { hospitalSubgraph } from '@medport/hospital';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '@medport/server';
import { gatewaySecretEnvironment, startGatewayInFront, type Stack } from './stack.js';

type ReplicatedSilo = 'hospital' | 'ems';

const DEFINITIONS: Record<ReplicatedSilo, SubgraphDefinition<any, any>> = {
  hospital: hospitalSubgraph,
  ems: emsSubgraph,
};

/** A second process of the hospital and ems silos, on the stack's databases, and a second gateway in front of them. */
export interface Replicas {
  hospital: RunningSubgraph<unknown>;
  ems: RunningSubgraph<unknown>;
  /** Its hospital and ems subgraphs are these replicas; the center is the stack's (it has one process). */
  gateway: RunningGateway;
  stop(): Promise<void>;
}

/**
 * Starts a second replica of the hospital and ems subgraphs on free ports, against the SAME databases as the stack's
 * replicas (so they share the outbox, the consumers' cursors and the NOTIFY channel, as two pods of one service do),
 * with the stack's settings otherwise, and a second gateway whose hospital and ems URLs are these replicas. The
 * stack's gateway keeps using the stack's replicas. Stop these before the stack (they use its databases).
 */
export async function startReplicas(stack: Stack, env: Record<string, string> = {}): Promise<Replicas> {
  const center = stack.subgraphs.center.url;
  // The same shared environment as the stack's subgraphs (see startStack), except that the data is already seeded.
  const shared = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO_DATA: 'false',
    AUTH_JWKS_URL: center.replace('/graphql', '/.well-known/jwks.json'),
    HOSPITAL_URL: stack.subgraphs.hospital.url,
    EMS_URL: stack.subgraphs.ems.url,
    CENTER_URL: center,
    EVENT_POLL_WAIT_MS: '5000',
    ...env,
  };
  const started: { hospital?: RunningSubgraph<unknown>; ems?: RunningSubgraph<unknown>; gateway?: RunningGateway } = {};
  const launch = async (silo: ReplicatedSilo) => {
    const config = loadSubgraphConfig(silo, 0, { ...stack.databases[silo].env, ...shared, [`${silo.toUpperCase()}_PORT`]: '0' });
    started[silo] = (await startSubgraph(DEFINITIONS[silo], config)) as RunningSubgraph<unknown>;
  };
  try {
    await Promise.all([launch('hospital'), launch('ems')]);
    started.gateway = await startGatewayInFront(
      { hospital: started.hospital!.url, ems: started.ems!.url, center },
      gatewaySecretEnvironment(stack.databases.hospital.env, shared),
    );
  } catch (error) {
    await Promise.allSettled([started.gateway?.stop(), started.hospital?.stop(), started.ems?.stop()]);
    throw error;
  }
  const { hospital, ems, gateway } = started as Required<typeof started>;
  let stopping: Promise<void> | undefined;
  return {
    hospital,
    ems,
    gateway,
    stop() {
      stopping ??= (async () => {
        await gateway.stop();
        await Promise.all([hospital.stop(), ems.stop()]);
      })();
      return stopping;
    },
  };
}
