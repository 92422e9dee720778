// Ceiling: bare Fastify 5 answering small static JSON, with the same request shapes (form and JSON
// bodies parsed, a bearer GET) as the cases it stands beside.
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

const app = Fastify();
await app.register(formbody);
const token = { access_token: 'x', token_type: 'Bearer', expires_in: 3600 };
app.post('/token', async () => token);
app.post('/introspect', async () => ({ active: true, sub: 'x', scope: 'invoices:read' }));
app.get('/me', async () => ({ sub: 'x', scope: 'invoices:read' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
