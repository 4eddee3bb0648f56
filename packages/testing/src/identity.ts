import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, generateSigningKey, signAccessToken, type SigningKey, type Viewer } from '@medport/auth';
import { demo } from '@medport/domain';

export interface TestIssuer {
  /** Environment that points a service's token verification at this issuer. */
  env: Record<string, string>;
  jwksUrl: string;
  key: SigningKey;
  /** A valid access token for a viewer. */
  tokenFor(viewer: Viewer): Promise<string>;
  /** A valid access token for a demo account, by email. */
  tokenForDemoUser(email: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Stands in for the center when a subgraph is tested alone: a real key pair, its JWKS served over HTTP on a free
 * port, and real signed tokens, so the subgraph verifies them exactly as in production.
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  const key = await generateSigningKey();
  const server = createServer((request, response) => {
    if (request.url === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [key.publicJwk] }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  const users = demo.buildDemoNetwork().users;
  const tokenFor = (viewer: Viewer) => signAccessToken(key, viewer, { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, ttlSeconds: 900 });
  return {
    env: { AUTH_JWKS_URL: jwksUrl },
    jwksUrl,
    key,
    tokenFor,
    tokenForDemoUser(email) {
      const user = users.find((candidate) => candidate.email === email);
      if (!user) throw new Error(`No demo account ${email}`);
      return tokenFor({ userId: user.id, role: user.role, hospitalId: user.hospitalId, agencyId: user.agencyId });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
