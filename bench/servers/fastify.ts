// Baseline: bare Fastify answering a small JSON body, the ceiling for any Fastify app on this machine.
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

const app = Fastify();
await app.register(formbody);
app.post('/token', async () => ({ access_token: 'x', token_type: 'Bearer', expires_in: 3600 }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`READY ${JSON.stringify({ path: '/token', clientId: 'a', clientSecret: 'b' })}\n`);
