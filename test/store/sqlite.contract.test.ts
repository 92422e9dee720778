import { openStore } from '../../src/store/index.ts';
import { describeStoreContract } from './contract.ts';

describeStoreContract('SQLite', async (clock) => {
  const store = await openStore(':memory:', clock);
  return { store, close: () => store.close() };
});
