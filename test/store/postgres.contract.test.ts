import { openStore } from '../../src/store/index.ts';
import { freshPostgres } from '../helpers/postgres.ts';
import { describeStoreContract } from './contract.ts';

// Fails (not skips) without PostgreSQL: a missing service must not pass silently.
describeStoreContract('PostgreSQL', async (clock) => {
  const db = await freshPostgres();
  if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 (see .ci/run)');
  const store = await openStore(db.url, clock);
  return {
    store,
    async close() {
      await store.close();
      await db.drop();
    },
  };
});
