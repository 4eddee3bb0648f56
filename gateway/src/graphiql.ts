import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demo } from '@medport/domain';

const require = createRequire(import.meta.url);

/** Where the example operations live; each file opens as a tab in the IDE. */
export const EXAMPLE_OPERATIONS_DIR = fileURLToPath(new URL('../../schema/operations', import.meta.url));

/** The IDE's own script and styles, kept as plain browser files beside this module. */
const IDE_SCRIPT = fileURLToPath(new URL('./graphiql/ide.js', import.meta.url));
const IDE_STYLES = fileURLToPath(new URL('./graphiql/ide.css', import.meta.url));

interface Asset {
  type: string;
  body: Buffer;
  /** Changes with this repository rather than with a package version: a browser must not keep an old copy. */
  own?: boolean;
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

/** The demo network's accounts, offered by the sign-in bar (the IDE only runs in development, next to the demo data). */
function demoAccounts() {
  const network = demo.buildDemoNetwork(new Date(), 0);
  const tenants = new Map([...network.hospitals, ...network.agencies].map((tenant) => [tenant.id, tenant.name]));
  return network.users.map((user) => ({
    email: user.email,
    name: user.name,
    role: user.role,
    tenant: tenants.get(user.hospitalId ?? user.agencyId ?? '') ?? null,
  }));
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!);

/**
 * A self-hosted GraphiQL: every script and style is served from this process (react, react-dom, graphiql and
 * graphql-ws from node_modules), so the IDE works without internet access and under a strict Content-Security-Policy.
 * A sign-in bar above it holds one session that every tab uses, over HTTP and over graphql-ws.
 */
export function createGraphiQL(graphqlPath = '/graphql') {
  const accounts = demoAccounts();
  const config = {
    tabs: exampleTabs(EXAMPLE_OPERATIONS_DIR),
    graphqlPath,
    demoEmails: accounts.map((account) => account.email),
    demoPassword: demo.DEMO_PASSWORD,
  };
  // The script runs as one function of its configuration: nothing of it leaks into the page's globals. `<` is
  // escaped so that no example operation can end the script early, should it ever be inlined.
  const start = `(function (config) {\n${readFileSync(IDE_SCRIPT, 'utf8')}\n})(${JSON.stringify(config).replace(/</g, '\\u003c')});\n`;
  const assets: Record<string, Asset> = {
    '/graphiql/react.js': { type: 'text/javascript', body: packageFile('react', 'umd/react.production.min.js') },
    '/graphiql/react-dom.js': { type: 'text/javascript', body: packageFile('react-dom', 'umd/react-dom.production.min.js') },
    '/graphiql/graphiql.js': { type: 'text/javascript', body: packageFile('graphiql', 'graphiql.min.js') },
    '/graphiql/graphiql.css': { type: 'text/css', body: packageFile('graphiql', 'graphiql.min.css') },
    // GraphiQL's bundle keeps its graphql-ws client to itself; the IDE needs one it can configure.
    '/graphiql/graphql-ws.js': { type: 'text/javascript', body: packageFile('graphql-ws', 'umd/graphql-ws.min.js') },
    '/graphiql/medport.css': { type: 'text/css', body: readFileSync(IDE_STYLES), own: true },
    '/graphiql/start.js': { type: 'text/javascript', body: Buffer.from(start), own: true },
  };
  const accountOptions = accounts
    .map((account) => {
      const label = [account.name, account.role, account.tenant].filter(Boolean).join(' · ');
      return `<option value="${escapeHtml(account.email)}">${escapeHtml(label)}</option>`;
    })
    .join('\n      ');
  const page = Buffer.from(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>MedPort GraphiQL</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/graphiql/graphiql.css">
  <link rel="stylesheet" href="/graphiql/medport.css">
</head>
<body>
  <header class="medport-session" aria-label="Session">
    <strong class="medport-brand">MedPort</strong>
    <form class="medport-sign-in" id="medport-sign-in" hidden>
      <label>Sign in as
        <input name="email" type="email" list="medport-demo-accounts" placeholder="email, or pick a demo account" required autocomplete="username" size="30">
      </label>
      <input name="password" type="password" placeholder="password" aria-label="Password" required autocomplete="current-password">
      <button type="submit">Sign in</button>
    </form>
    <div class="medport-signed-in" id="medport-signed-in" hidden>
      <span>Signed in as <strong id="medport-who"></strong> <span id="medport-role" class="medport-role"></span></span>
      <span id="medport-expiry" class="medport-expiry"></span>
      <button type="button" id="medport-sign-out">Sign out</button>
    </div>
    <output id="medport-message" class="medport-message" role="status"></output>
    <span class="medport-hint" title="Every tab sends this sign-in, over HTTP and WebSocket, unless its Headers set an Authorization of their own.">Used by every tab whose Headers set no Authorization.</span>
    <datalist id="medport-demo-accounts">
      ${accountOptions}
    </datalist>
  </header>
  <div id="graphiql">Loading MedPort GraphiQL…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script src="/graphiql/graphql-ws.js"></script>
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
      response.writeHead(200, {
        'content-type': `${asset.type}; charset=utf-8`,
        'cache-control': asset.own ? 'no-cache' : 'public, max-age=3600',
        ...securityHeaders,
      });
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
