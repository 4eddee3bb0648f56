import { exitOnConfigError, runSubgraphCli } from '@medport/server';
import { analyticsTimeZone } from './modules/analytics/analytics.config.js';
import { currentScryptParameters } from './modules/users/passwords.js';
import { CENTER_DEFAULT_PORT, centerSubgraph } from './subgraph.js';

// The analytics' time zone is read when the first event is counted, the password hash cost when the first password
// is hashed or checked; a mistyped one must stop the start instead.
try {
  analyticsTimeZone();
  currentScryptParameters();
} catch (error) {
  exitOnConfigError(error);
}
await runSubgraphCli(centerSubgraph, CENTER_DEFAULT_PORT, process.argv.slice(2));
