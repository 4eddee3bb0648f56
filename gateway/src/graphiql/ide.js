// MedPort's GraphiQL page. The gateway serves this file wrapped as `(function (config) { … })(config)`, after
// react, react-dom, graphiql and graphql-ws (UMD globals: React, ReactDOM, GraphiQL, graphqlWs). `config` holds the
// example tabs, the GraphQL path and the demo accounts.
//
// One session, started from the sign-in bar or picked up from any tab's `login` / `refreshToken` mutation, is sent by
// every tab: as `Authorization: Bearer …` over HTTP and as `{ authorization: "Bearer …" }` in graphql-ws's
// `connection_init`. An Authorization a tab's Headers set explicitly wins. The access token is kept in
// sessionStorage (a reload keeps the session; other browser tabs and later visits do not see it); the refresh
// token only in memory, because a duplicated browser tab copies sessionStorage and two pages spending one refresh
// token would end the session for both.
'use strict';

const { GraphQL } = GraphiQL;
const STORAGE_KEY = 'medport:session';
/** Renew this long before the access token runs out, so a slow answer still lands in time. */
const RENEW_BEFORE_EXPIRY_MS = 60_000;
/** However short-lived a token, renewals are at least this far apart. */
const MIN_RENEW_DELAY_MS = 5_000;
/** Root fields the gateway answers without a token: a 401 for them says nothing about the shared token. */
const PUBLIC_FIELDS = new Set(['login', 'refreshToken', 'logout', '__schema', '__type', '__typename']);
const SESSION_FIELDS = 'accessToken accessTokenExpiresAt refreshToken user { id email name role }';
const SIGN_IN = `mutation MedPortIdeSignIn($email: String!, $password: String!) { login(email: $email, password: $password) { ${SESSION_FIELDS} } }`;
const RENEW = `mutation MedPortIdeRenew($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${SESSION_FIELDS} } }`;
const SIGN_OUT = `mutation MedPortIdeSignOut($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;

// ---------------------------------------------------------------------------------------------------------------
// The session

/** `{ accessToken, expiresAt (ms), userId, email, name, role }`, or null when signed out. */
let session = null;
let refreshToken = null;
let sessionTimer = null;
/** Called when the signed-in account changes or signs out (not when its token is renewed). */
const onIdentityChange = [];

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

/**
 * A session from an AuthPayload (as much of it as an operation selected) and what is already known: the token's
 * own claims fill in what was not selected, and a renewal keeps the account's name and email.
 */
function sessionFrom(payload, email) {
  const claims = claimsOf(payload.accessToken);
  const user = payload.user || {};
  const userId = user.id || claims.sub || null;
  const known = session && session.userId === userId ? session : {};
  // The token's lifetime counted from now, so a browser clock that is off does not end (or renew) it early.
  const lifetime = (Number(claims.exp) - Number(claims.iat)) * 1000;
  const expiresAt = Number.isFinite(lifetime) && lifetime > 0 ? Date.now() + lifetime : Date.parse(payload.accessTokenExpiresAt);
  return {
    accessToken: payload.accessToken,
    expiresAt: Number.isFinite(expiresAt) ? expiresAt : null,
    userId,
    email: user.email || email || known.email || null,
    name: user.name || known.name || null,
    role: user.role || claims.role || known.role || null,
  };
}

function adopt(payload, email) {
  const next = sessionFrom(payload, email);
  const changed = !session || session.userId !== next.userId;
  session = next;
  // A payload without a refresh token (an operation that did not select it) leaves none: the old one was spent.
  refreshToken = typeof payload.refreshToken === 'string' ? payload.refreshToken : null;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Storage may be off (a privacy setting); the session then lasts as long as the page.
  }
  schedule();
  say('');
  render();
  if (changed) onIdentityChange.forEach((listener) => listener('signed-in'));
}

function signOut(message) {
  const wasSignedIn = session !== null;
  session = null;
  refreshToken = null;
  clearTimeout(sessionTimer);
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
  say(message || '', message ? 'warning' : '');
  render();
  if (wasSignedIn) onIdentityChange.forEach((listener) => listener('signed-out'));
}

const expired = () => session !== null && session.expiresAt !== null && session.expiresAt <= Date.now();
const signOutExpired = () => signOut('Signed out: the access token expired. Sign in again.');

/** The shared access token to send now, or null; a token found expired (timers sleep in background tabs) signs out. */
function currentToken() {
  if (expired()) signOutExpired();
  return session ? session.accessToken : null;
}

function schedule() {
  clearTimeout(sessionTimer);
  if (!session || session.expiresAt === null) return;
  const left = session.expiresAt - Date.now();
  sessionTimer = refreshToken
    ? setTimeout(renew, Math.max(MIN_RENEW_DELAY_MS, left - RENEW_BEFORE_EXPIRY_MS))
    : setTimeout(() => expired() ? signOutExpired() : schedule(), Math.max(0, left));
}

async function renew() {
  const spending = refreshToken;
  if (!spending) return schedule();
  try {
    const result = await post(RENEW, { refreshToken: spending });
    // Signed out, or renewed by a tab, while this was on its way: that newer state stands.
    if (refreshToken !== spending) return;
    if (result.data && result.data.refreshToken) return adopt(result.data.refreshToken);
    refreshToken = null;
    say(`The session could not be renewed (${firstError(result)}); the token runs out at ${clock(session.expiresAt)}.`, 'warning');
  } catch (error) {
    if (refreshToken !== spending) return;
    // The gateway did not answer; try again shortly while the token lasts.
    if (session && session.expiresAt - Date.now() > 10_000) {
      clearTimeout(sessionTimer);
      sessionTimer = setTimeout(renew, 10_000);
      return;
    }
  }
  schedule();
}

function restore() {
  let stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
  } catch {}
  if (!stored || typeof stored.accessToken !== 'string') return;
  session = stored;
  if (expired()) return signOutExpired();
  schedule();
}

// ---------------------------------------------------------------------------------------------------------------
// The sign-in bar

const form = document.getElementById('medport-sign-in');
const signedIn = document.getElementById('medport-signed-in');
const who = document.getElementById('medport-who');
const role = document.getElementById('medport-role');
const expiry = document.getElementById('medport-expiry');
const message = document.getElementById('medport-message');

function say(text, tone) {
  message.textContent = text;
  message.dataset.tone = tone || '';
}

const clock = (time) => new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function render() {
  form.hidden = session !== null;
  signedIn.hidden = session === null;
  if (!session) return;
  who.textContent = session.name ? `${session.name}${session.email ? ` (${session.email})` : ''}` : session.email || session.userId || 'unknown account';
  role.textContent = session.role || '';
  renderExpiry();
}

function renderExpiry() {
  if (!session) return;
  if (session.expiresAt === null) {
    expiry.textContent = '';
    return;
  }
  const seconds = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
  const left = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  expiry.textContent = refreshToken
    ? `token renews itself (${left} left on this one)`
    : `token runs out at ${clock(session.expiresAt)} (${left} left); sign in again then`;
  expiry.dataset.tone = !refreshToken && seconds < 120 ? 'warning' : '';
}

setInterval(() => (expired() ? signOutExpired() : renderExpiry()), 1000);

const demoEmails = new Set(config.demoEmails);
form.elements.email.addEventListener('input', () => {
  // Picking a demo account is all a sign-in needs: they share one published password.
  if (demoEmails.has(form.elements.email.value.trim().toLowerCase()) && !form.elements.password.value) {
    form.elements.password.value = config.demoPassword;
  }
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = form.elements.email.value.trim();
  const button = form.querySelector('button');
  button.disabled = true;
  say('Signing in…');
  try {
    const result = await post(SIGN_IN, { email, password: form.elements.password.value });
    if (result.data && result.data.login) {
      form.elements.password.value = '';
      adopt(result.data.login, email);
    } else {
      say(`Sign-in failed: ${firstError(result)}`, 'error');
    }
  } catch (error) {
    say(`Sign-in failed: ${error.message}`, 'error');
  } finally {
    button.disabled = false;
  }
});

document.getElementById('medport-sign-out').addEventListener('click', async () => {
  const spending = refreshToken;
  signOut('Signed out.');
  // Ends the session at the center too; without a refresh token (the page was reloaded) the token just runs out.
  if (spending) await post(SIGN_OUT, { refreshToken: spending }).catch(() => {});
});

async function post(query, variables) {
  const response = await fetch(config.graphqlPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

const firstError = (result) => (result && result.errors && result.errors[0] && result.errors[0].message) || 'no answer';

// ---------------------------------------------------------------------------------------------------------------
// HTTP: the shared token on every request, and sessions picked up from the tabs' own sign-ins

const hasAuthorization = (headers) => Boolean(headers) && Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');

function withSharedToken(headers) {
  if (hasAuthorization(headers)) return headers;
  const token = currentToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

/** window.fetch, watching what the tabs' operations answer. */
async function watchingFetch(url, init) {
  const response = await fetch(url, init);
  const sent = (init && init.headers && init.headers.Authorization) || null;
  response
    .clone()
    .json()
    .then((body) => learnFrom(init.body, response.status, body, sent))
    .catch(() => {});
  return response;
}

function learnFrom(requestBody, status, body, sentAuthorization) {
  let request;
  let operation;
  try {
    request = JSON.parse(requestBody);
    operation = GraphQL.getOperationAST(GraphQL.parse(request.query), request.operationName || undefined);
  } catch {
    return;
  }
  if (!operation) return;
  const fields = operation.selectionSet.selections.filter((selection) => selection.kind === 'Field');
  const usedShared = session !== null && sentAuthorization === `Bearer ${session.accessToken}`;
  // The gateway refused the shared token (the services restarted with new keys, say): stop sending it.
  if (status === 401 && usedShared && !fields.every((field) => PUBLIC_FIELDS.has(field.name.value))) {
    return signOut(`Signed out: the gateway refused the token (${firstError(body)}). Sign in again.`);
  }
  if (operation.operation !== 'mutation' || !body || !body.data) return;
  for (const field of fields) {
    const value = body.data[(field.alias || field.name).value];
    const name = field.name.value;
    if ((name === 'login' || name === 'refreshToken') && value && typeof value === 'object') {
      const payload = unaliased(field.selectionSet, value);
      if (typeof payload.accessToken === 'string') adopt(payload, argumentOf(field, 'email', request.variables));
    } else if (name === 'logout' && value === true && refreshToken && argumentOf(field, 'refreshToken', request.variables) === refreshToken) {
      signOut('Signed out.');
    }
  }
}

/** A result object keyed by field names instead of the operation's aliases. */
function unaliased(selectionSet, value) {
  if (!selectionSet || !value || typeof value !== 'object') return value;
  const result = { ...value };
  for (const selection of selectionSet.selections) {
    if (selection.kind !== 'Field' || !selection.alias) continue;
    result[selection.name.value] = unaliased(selection.selectionSet, value[selection.alias.value]);
  }
  return result;
}

function argumentOf(field, name, variables) {
  const argument = (field.arguments || []).find((candidate) => candidate.name.value === name);
  if (!argument) return undefined;
  if (argument.value.kind === 'Variable') return variables ? variables[argument.value.name.value] : undefined;
  return argument.value.kind === 'StringValue' ? argument.value.value : undefined;
}

const httpFetcher = GraphiQL.createFetcher({ url: config.graphqlPath, fetch: watchingFetch });

// ---------------------------------------------------------------------------------------------------------------
// Subscriptions over graphql-ws

const socketUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + config.graphqlPath;
const CLOSE_REASONS = { 4403: 'Forbidden', 4408: 'Connection initialisation timeout' };

/**
 * One graphql-ws client per set of tab headers (most tabs have none and share one socket). A client that sends
 * the shared token reads it at each connect, so a renewed or new sign-in is used from the next connection on.
 */
const clients = new Map();

function clientFor(headers) {
  const own = hasAuthorization(headers);
  const key = JSON.stringify([own, headers || {}]);
  let entry = clients.get(key);
  if (entry) return entry;
  entry = { own, sentToken: null, sinks: new Set() };
  entry.client = graphqlWs.createClient({
    url: socketUrl,
    connectionParams: () => {
      if (own) return { ...headers };
      entry.sentToken = currentToken();
      return entry.sentToken ? { ...headers, authorization: `Bearer ${entry.sentToken}` } : { ...headers };
    },
    // A refused token stays refused, and a missing connection_init would go missing again; but when the shared
    // token was renewed since this socket opened (the gateway closes it as the old token runs out), reconnect
    // with the new one and the subscriptions carry on.
    shouldRetry: (event) => {
      if (!event || typeof event.code !== 'number') return true;
      if (event.code === 4403) return !own && session !== null && !expired() && session.accessToken !== entry.sentToken;
      return event.code !== 4408;
    },
  });
  clients.set(key, entry);
  return entry;
}

// A subscription started as one account does not carry on as another, or signed out.
onIdentityChange.push((change) => {
  for (const [key, entry] of clients) {
    if (entry.own) continue;
    clients.delete(key);
    for (const sink of entry.sinks) {
      sink.end(
        change === 'signed-out'
          ? 'Signed out: the subscription ended. Sign in and run it again.'
          : 'The sign-in changed: the subscription ended. Run it again to subscribe as the new account.',
      );
    }
    entry.client.dispose();
  }
});

function refusal(event, entry) {
  const reason = event.reason || CLOSE_REASONS[event.code] || '';
  const said = `${event.code}${reason ? ` ${reason}` : ''}`;
  let message;
  if (event.code === 4403) {
    const hint = entry.own
      ? "the Authorization in this tab's Headers was refused"
      : entry.sentToken
        ? 'sign in again'
        : 'sign in first';
    message = `The gateway refused the subscription (${said}): ${hint}.`;
  } else if (event.code === 4408) {
    message = `The gateway closed the connection (${said}): connection_init did not arrive in time.`;
  } else {
    message = `The connection to the gateway closed (${said}).`;
  }
  return { errors: [{ message, extensions: { closeCode: event.code, closeReason: event.reason || null } }] };
}

/**
 * Runs a subscription as GraphiQL expects (an async iterator), ending it with a readable result instead of an
 * exception: GraphiQL's own handling keeps spinning while graphql-ws retries a refusal.
 */
function subscribe(params, headers) {
  const entry = clientFor(headers);
  const queue = [];
  let done = false;
  let wake = null;
  const push = (item) => {
    if (done) return;
    queue.push(item);
    if (wake) wake();
  };
  const sink = {
    end(text) {
      push({ errors: [{ message: text }] });
      finish();
    },
  };
  const finish = () => {
    done = true;
    entry.sinks.delete(sink);
    if (wake) wake();
  };
  entry.sinks.add(sink);
  const unsubscribe = entry.client.subscribe(params, {
    next: push,
    error(error) {
      if (error && typeof error.code === 'number' && 'reason' in error) push(refusal(error, entry));
      else if (Array.isArray(error)) push({ errors: error });
      else push({ errors: [{ message: error instanceof Error ? error.message : String(error) }] });
      finish();
    },
    complete: finish,
  });
  const iterator = {
    async next() {
      while (queue.length === 0 && !done) await new Promise((resolve) => (wake = resolve));
      wake = null;
      return queue.length > 0 ? { value: queue.shift(), done: false } : { value: undefined, done: true };
    },
    async return() {
      if (!done) {
        unsubscribe();
        finish();
      }
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function fetcher(params, options) {
  const headers = options && options.headers;
  const operation = options && options.documentAST ? GraphQL.getOperationAST(options.documentAST, params.operationName || undefined) : null;
  if (operation && operation.operation === 'subscription') return subscribe(params, headers);
  return httpFetcher(params, { ...options, headers: withSharedToken(headers) });
}

// ---------------------------------------------------------------------------------------------------------------
// The IDE

restore();
render();

const { tabs } = config;
// GraphiQL fills the first tab's variables from storage, not from defaultTabs: seed them on a first visit.
if (!localStorage.getItem('graphiql:tabState') && tabs[0] && tabs[0].variables) {
  localStorage.setItem('graphiql:variables', tabs[0].variables);
}
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    defaultTabs: tabs,
  }),
);
