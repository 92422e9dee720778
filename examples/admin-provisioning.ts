/**
 * The platform's back end provisioning Latchkey through the admin API (docs/platform.md): one of its
 * customers becomes an organization, one of its people a developer there, and the customer gets a
 * first set of API credentials. Safe to run again: everything is looked up by the platform's own ids
 * first (`external_id`, email), so a second run creates nothing twice (credentials aside).
 *
 *   npx latchkey client create --org ORG_ID --name "Platform back end" \
 *     --grant client_credentials --scope latchkey:admin --json
 *   LATCHKEY_ISSUER=http://localhost:3000 LATCHKEY_ADMIN_CLIENT_ID=lkc_… LATCHKEY_ADMIN_CLIENT_SECRET=lk_… \
 *     node --import tsx examples/admin-provisioning.ts
 *
 * Optional: CUSTOMER_ID (the platform's id of the customer), CUSTOMER_NAME, PERSON_EMAIL, PAGE_SIZE.
 * @latchkey/client gets the token (examples/README.md says how to install it in your project).
 */
import { clientCredentials } from '@latchkey/client';

const issuer = process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000';
const clientId = process.env.LATCHKEY_ADMIN_CLIENT_ID;
const clientSecret = process.env.LATCHKEY_ADMIN_CLIENT_SECRET;
if (!clientId || !clientSecret) {
  console.error(
    'Set LATCHKEY_ADMIN_CLIENT_ID and LATCHKEY_ADMIN_CLIENT_SECRET (a client with latchkey:admin).',
  );
  process.exit(2);
}

// The SDK caches the token and renews it before it expires; the scope must be asked for explicitly.
const tokens = clientCredentials({ issuer, clientId, clientSecret, scope: 'latchkey:admin' });

// biome-ignore lint/suspicious/noExplicitAny: an example; the OpenAPI document at /admin/v1/openapi.json has the shapes
type Json = any;

/** RFC 9457 problem details, the admin API's only error shape. */
class Problem extends Error {
  readonly problem: { status: number; title: string; detail: string; errors?: unknown[] };
  constructor(problem: Problem['problem']) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.problem = problem;
  }
}

async function admin(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${issuer}/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await tokens.getToken()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined;
  const json = await response.json();
  if (!response.ok) throw new Problem(json);
  return json;
}

const pageSize = Number(process.env.PAGE_SIZE ?? 50);

/** Every item of a list: follows `next_cursor` until it is null. */
async function* all(path: string): AsyncGenerator<Json> {
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: Json = await admin(
      'GET',
      `${path}${separator}limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    yield* page.data;
    cursor = page.next_cursor;
  } while (cursor);
}

const customerId = process.env.CUSTOMER_ID ?? 'cust_1001';
const email = process.env.PERSON_EMAIL ?? 'dev@customer.example';

// 1. The organization, found by the platform's id (external_id) or created.
const found = await admin('GET', `/organizations?external_id=${encodeURIComponent(customerId)}`);
const org =
  found.data[0] ??
  (await admin('POST', '/organizations', {
    name: process.env.CUSTOMER_NAME ?? 'Customer 1001 GmbH',
    external_id: customerId,
  }));
console.log(`organization ${org.id} (${org.name}, external_id ${org.external_id})`);

// 2. The person, found by email or created; a developer manages credentials, not people.
const person =
  (await admin('GET', `/users?email=${encodeURIComponent(email)}`)).data[0] ??
  (await admin('POST', '/users', { email, name: 'Dev Person' }));
await admin('PUT', `/organizations/${org.id}/members/${person.id}`, { role: 'developer' });
console.log(`member ${person.email} as developer`);

// 3. Credentials: the secret is in this answer only — hand it over now, it is never shown again.
const credentials = await admin('POST', `/organizations/${org.id}/clients`, {
  name: 'Customer ERP connector',
  redirect_uris: [],
  grant_types: ['client_credentials'],
});
console.log(
  `client ${credentials.client_id} created; secret starts ${credentials.client_secret.slice(0, 12)}…`,
);

// 4. Lists are paginated: {"data": [...], "next_cursor": "..." | null}.
let count = 0;
for await (const client of all(`/organizations/${org.id}/clients`)) {
  count++;
  console.log(`  ${client.client_id}  ${client.name}`);
}
console.log(`${count} client(s) in the organization`);

// 5. Errors are problem details, with per-field entries for validation.
try {
  await admin('POST', '/organizations', { name: '' });
} catch (error) {
  if (!(error instanceof Problem)) throw error;
  console.log(`refused as expected: ${error.message}`);
}
