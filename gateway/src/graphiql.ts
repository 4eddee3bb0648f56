import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Where the example operations live; each file opens as a tab in the IDE. */
export const EXAMPLE_OPERATIONS_DIR = fileURLToPath(new URL('../../schema/operations', import.meta.url));

interface Asset {
  type: string;
  body: Buffer;
}

/** A file of an installed package, found through its package.json (react does not export its umd/ folder). */
function packageFile(packageName: string, file: string): Buffer {
  return readFileSync(path.join(path.dirname(require.resolve(`${packageName}/package.json`)), file));
}

function exampleTabs(directory: string) {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(directory, file), 'utf8');
      // A file may end with a "# variables: {...}" line giving the tab's variables.
      const variablesLine = text.split('\n').find((line) => line.startsWith('# variables:'));
      return { query: text, variables: variablesLine ? variablesLine.slice('# variables:'.length).trim() : undefined };
    });
}

/**
 * A self-hosted GraphiQL: every script and style is served from this process (react, react-dom and graphiql
 * from node_modules), so the IDE works without internet access and under a strict Content-Security-Policy.
 */
export function createGraphiQL(graphqlPath = '/graphql') {
  const tabs = exampleTabs(EXAMPLE_OPERATIONS_DIR);
  const start = `
const tabs = ${JSON.stringify(tabs)};
// GraphiQL fills the first tab's variables from storage, not from defaultTabs: seed them on a first visit.
if (!localStorage.getItem('graphiql:tabState') && tabs[0] && tabs[0].variables) {
  localStorage.setItem('graphiql:variables', tabs[0].variables);
}
// Subscriptions go over graphql-ws on the same path; the Headers tab's Authorization is sent in connection_init.
const fetcher = GraphiQL.createFetcher({
  url: ${JSON.stringify(graphqlPath)},
  subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + ${JSON.stringify(graphqlPath)},
});
const root = ReactDOM.createRoot(document.getElementById('graphiql'));
root.render(React.createElement(GraphiQL, {
  fetcher,
  defaultEditorToolsVisibility: true,
  defaultTabs: tabs,
}));
`;
  const assets: Record<string, Asset> = {
    '/graphiql/react.js': { type: 'text/javascript', body: packageFile('react', 'umd/react.production.min.js') },
    '/graphiql/react-dom.js': { type: 'text/javascript', body: packageFile('react-dom', 'umd/react-dom.production.min.js') },
    '/graphiql/graphiql.js': { type: 'text/javascript', body: packageFile('graphiql', 'graphiql.min.js') },
    '/graphiql/graphiql.css': { type: 'text/css', body: packageFile('graphiql', 'graphiql.min.css') },
    '/graphiql/start.js': { type: 'text/javascript', body: Buffer.from(start) },
  };
  const page = Buffer.from(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>MedPort GraphiQL</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/graphiql/graphiql.css">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading MedPort GraphiQL…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script src="/graphiql/start.js"></script>
</body>
</html>`);
  const securityHeaders = {
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
    'x-content-type-options': 'nosniff',
  };

  /** Serves the IDE for a browser's GET of the GraphQL path, and its assets; false for anything else. */
  return function handle(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET') return false;
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204);
      response.end();
      return true;
    }
    const asset = assets[url.pathname];
    if (asset) {
      response.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600', ...securityHeaders });
      response.end(asset.body);
      return true;
    }
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (url.pathname === graphqlPath && wantsHtml && !url.searchParams.has('query')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...securityHeaders });
      response.end(page);
      return true;
    }
    return false;
  };
}
