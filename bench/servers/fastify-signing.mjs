// The floor for any token endpoint that issues ES256 JWTs on Fastify: bare Fastify plus exactly one
// ES256 signature per token request (the key made once, Latchkey's claim set), nothing else: no
// client lookup, no secret check, no limits. It signs the way Latchkey does (dist/keys/es256.js,
// node:crypto), so the floor moves with Latchkey's signing path. Like Latchkey (src/turn.ts) it makes
// the signatures of one event-loop turn together at its end. Latchkey cannot be cheaper than this.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { es256Signer } from '../../dist/keys/es256.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sign = es256Signer(privateKey);
const b64url = (value) => Buffer.from(value).toString('base64url');
const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }));
const issuer = `http://127.0.0.1:${process.env.PORT}`;

let turn;
const endOfTurn = () =>
  (turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  ));

async function accessToken() {
  const iat = Math.floor(Date.now() / 1000);
  const client = 'lkc_3GxGdeBEhh5VnyRd1DwxDa';
  const claims = { iss: issuer, sub: client, aud: issuer, client_id: client, scope: 'invoices:read' };
  const payload = { ...claims, org_id: randomUUID(), iat, exp: iat + 3600, jti: randomUUID() };
  const input = `${header}.${b64url(JSON.stringify(payload))}`;
  await endOfTurn();
  return `${input}.${sign(input)}`;
}

const app = Fastify();
await app.register(formbody);
app.post('/token', async () => ({
  access_token: await accessToken(),
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'invoices:read',
}));
app.get('/me', async () => ({ sub: 'x', scope: 'invoices:read' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
