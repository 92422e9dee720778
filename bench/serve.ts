/**
 * Starts Latchkey seeded as `npm run bench` seeds it (pinned to core 1) and prints how to load it by
 * hand (autocannon, strace, perf) until Ctrl-C:
 *
 *   node --import tsx bench/serve.ts [--only cc-basic-form] [--postgres URL] [-- node flags...]
 */
import { parseArgs } from 'node:util';
import type { CaseId } from './harness/cases.ts';
import { startLatchkey } from './harness/latchkey.ts';

const { values: o, positionals } = parseArgs({
  options: { only: { type: 'string', default: 'cc-basic-form' }, postgres: { type: 'string' } },
  allowPositionals: true,
});
const target = await startLatchkey({
  core: 1,
  tokens: 100,
  nodeArgs: positionals,
  ...(o.postgres && { postgres: o.postgres }),
});
const plan = await target.plan(o.only as CaseId, 1);
if (!plan) throw new Error(`no plan for ${o.only}`);
const headers = Object.entries(plan.headers)
  .map(([k, v]) => `-H '${k}: ${v}'`)
  .join(' ');
const body = plan.body ? `-b '${plan.body}'` : '';
process.stdout.write(
  `pid ${target.pid}, ${target.url}\nnpx autocannon -c 50 -d 8 -m ${plan.method} ${headers} ${body} ${target.url}${plan.path}\n`,
);
const stop = () => void target.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
