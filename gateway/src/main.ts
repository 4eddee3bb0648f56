import { exitOnConfigError, stopOnSignals } from '@medport/server';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

let config;
try {
  config = loadGatewayConfig();
} catch (error) {
  exitOnConfigError(error);
}
const gateway = await startGateway(config);
stopOnSignals(gateway.stop, gateway.logger);
