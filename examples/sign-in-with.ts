/**
 * "Sign in with the platform": a tiny web app that lets people sign in with their Latchkey account
 * (OpenID Connect), using openid-client as any relying party would. Discovery, the code flow with
 * PKCE, state and nonce, the ID token validated (signature from the JWKS included), then userinfo.
 *
 *   LATCHKEY_CLIENT_ID=… LATCHKEY_CLIENT_SECRET=… node --import tsx examples/sign-in-with.ts
 *
 * The credentials need the redirect URL http://localhost:3001/callback (APP_URL + /callback) and the
 * scopes openid, profile and email (new credentials have them). See examples/README.md.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';

const issuer = new URL(process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000');
const clientId = process.env.LATCHKEY_CLIENT_ID;
const clientSecret = process.env.LATCHKEY_CLIENT_SECRET;
const port = Number(process.env.PORT ?? 3001);
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`;
if (!clientId || !clientSecret) {
  console.error('Set LATCHKEY_CLIENT_ID and LATCHKEY_CLIENT_SECRET (credentials with openid profile email).');
  process.exit(2);
}

// Discovery: {issuer}/.well-known/openid-configuration. Plain http only for a local Latchkey.
const config = await oidc.discovery(issuer, clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
  execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
});
// Check the ID token's signature with the published keys too, not only its claims.
oidc.enableNonRepudiationChecks(config);
const redirectUri = `${appUrl}/callback`;

/** One visitor's state: the pending sign-in's secrets, then who signed in. In memory: a demo. */
interface Visit {
  pending?: { verifier: string; state: string; nonce: string };
  signedIn?: { idToken: oidc.IDToken; userinfo: oidc.UserInfoResponse };
}
const visits = new Map<string, Visit>();

function visitOf(req: IncomingMessage, res: ServerResponse): Visit {
  const id = /(?:^|;\s*)visit=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (id && visits.has(id)) return visits.get(id)!;
  const fresh = randomBytes(24).toString('base64url');
  visits.set(fresh, {});
  res.setHeader('set-cookie', `visit=${fresh}; Path=/; HttpOnly; SameSite=Lax`);
  return visits.get(fresh)!;
}

const html = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const page = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><meta charset="utf-8"><title>Sign in with the platform</title>${body}`);
};

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', appUrl);
  const visit = visitOf(req, res);
  try {
    if (url.pathname === '/login') {
      const pending = {
        verifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
      visit.pending = pending;
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    if (url.pathname === '/callback') {
      const pending = visit.pending;
      visit.pending = undefined; // one use
      if (!pending)
        return page(res, 400, '<h1>No sign-in in progress</h1><p><a href="/login">Sign in</a></p>');
      // Checks iss (RFC 9207), state, the PKCE verifier, and the ID token: signature, iss, aud, exp, nonce.
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
      visit.signedIn = { idToken, userinfo };
      console.log(`signed in: sub ${idToken.sub}, organization ${String(idToken.org_id)}`);
      res.writeHead(303, { location: '/' }).end();
      return;
    }
    if (url.pathname === '/') {
      if (!visit.signedIn)
        return page(res, 200, '<h1>Welcome</h1><p><a href="/login">Sign in with the platform</a></p>');
      const { idToken, userinfo } = visit.signedIn;
      return page(
        res,
        200,
        `<h1>Signed in as ${html(String(userinfo.name ?? userinfo.email ?? idToken.sub))}</h1>
<h2>ID token claims</h2><pre id="id-token">${html(JSON.stringify(idToken, null, 2))}</pre>
<h2>Userinfo</h2><pre id="userinfo">${html(JSON.stringify(userinfo, null, 2))}</pre>`,
      );
    }
    page(res, 404, '<h1>Not found</h1>');
  } catch (error) {
    // e.g. the person denied (access_denied), or a response that failed a check: say so, never log tokens.
    console.error('sign-in failed:', (error as Error).message);
    page(
      res,
      400,
      `<h1>Sign-in failed</h1><p>${html((error as Error).message)}</p><p><a href="/login">Try again</a></p>`,
    );
  }
}).listen(port, () => console.log(`listening on ${appUrl}`));
