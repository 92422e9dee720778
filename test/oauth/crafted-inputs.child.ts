/**
 * Run by crafted-inputs.test.ts in a process of its own, with a deadline: every check that caller
 * input reaches, on the inputs that made the old patterns backtrack quadratically. Each answers at
 * once now; before, these blocked the event loop for minutes.
 */
import { invite } from '../../src/accounts/members.ts';
import { AccountError, createUser, provisionUser } from '../../src/accounts/users.ts';
import { closestRedirectUri, redirectUriDifferences } from '../../src/oauth/redirect-uri.ts';
import { startLatchkey } from '../helpers/latchkey.ts';

const n = 1_000_000;
const results: Record<string, unknown> = {};

// `scheme://` + a long authority + a fragment that `.` cannot match: the old pattern tried every split.
const uri = `a://${'x'.repeat(n)}#\n`;
results.differences = redirectUriDifferences(uri, 'https://app.example.com/cb').map((d) => d.part);
results.reversed = redirectUriDifferences('https://app.example.com/cb', uri).map((d) => d.part);
results.query = redirectUriDifferences(`a://${'x'.repeat(n)}?#\n`, 'https://app.example.com/cb').length;
results.closest = closestRedirectUri(uri, ['https://app.example.com/cb']) ?? null;

// `a@` + dots: `[^\s@]+\.[^\s@]+` tried every dot.
const email = `a@${'.'.repeat(n)}@`;
const lk = await startLatchkey();
try {
  const invited = await invite({ orgId: lk.orgId, email, role: 'member', by: 'test' }, lk.services);
  results.invite = invited.ok ? 'invited' : invited.problem;
  const refused = (error: unknown) => (error instanceof AccountError ? error.message.slice(-24) : error);
  results.createUser = await createUser(
    { email, password: 'correct horse battery staple', orgId: lk.orgId, role: 'member' },
    lk.services,
  ).then(() => 'created', refused);
  results.provisionUser = await provisionUser({ email }, lk.services).then(() => 'created', refused);
} finally {
  await lk.close();
}
process.stdout.write(JSON.stringify(results));
