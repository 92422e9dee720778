import { afterAll, beforeAll, describe } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { newId } from '../../src/crypto.ts';
import type { Store } from '../../src/store/index.ts';
import { testClock } from '../helpers/latchkey.ts';
import { accountsContract } from './contract/accounts.ts';
import { activityContract } from './contract/activity.ts';
import { auditContract } from './contract/audit.ts';
import { clientsContract } from './contract/clients.ts';
import { codesAndTokensContract } from './contract/codes-and-tokens.ts';
import { documentClientsContract } from './contract/document-clients.ts';
import { grantsContract } from './contract/grants.ts';
import { keysAndRevocationsContract } from './contract/keys-and-revocations.ts';
import { modernOAuthContract } from './contract/modern-oauth.ts';
import { selfRegistrationContract } from './contract/self-registration.ts';
import { sessionsAndRequestsContract } from './contract/sessions-and-requests.ts';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

/** What every contract file gets: the store under test, its clock, and fresh rows to work on. */
export interface Contract {
  store(): Store;
  clock: ReturnType<typeof testClock>;
  /** A new organization with one user (admin) and one confidential client: no test sees another's. */
  tenant(): Promise<Tenant>;
}

export interface Tenant {
  orgId: string;
  userId: string;
  email: string;
  clientId: string;
}

/**
 * One suite, run unchanged against each store: what callers rely on (round trips, single use,
 * family revocation, expiry by the injected clock, ordering, tenant isolation) must hold on both.
 */
export function describeStoreContract(name: string, open: (clock: Clock) => Promise<OpenedStore>): void {
  describe(`store contract: ${name}`, () => {
    const clock = testClock();
    let opened: OpenedStore | undefined;
    beforeAll(async () => {
      opened = await open(clock);
    });
    afterAll(() => opened?.close());

    const store = (): Store => opened!.store;
    const contract: Contract = {
      store,
      clock,
      async tenant() {
        const org = await store().accounts.createOrganization(`Org ${newId()}`);
        const email = `${newId()}@example.com`;
        const user = await store().accounts.createUser(email, 'hash');
        await store().accounts.addMembership(org.id, user.id, 'admin');
        const client = await store().clients.create({
          id: newId(),
          orgId: org.id,
          name: 'Client',
          redirectUris: ['https://app.example/cb'],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['read'],
          isPublic: false,
          pkceOptional: false,
          createdBy: user.id,
        });
        return { orgId: org.id, userId: user.id, email, clientId: client.id };
      },
    };

    accountsContract(contract);
    auditContract(contract);
    clientsContract(contract);
    documentClientsContract(contract);
    grantsContract(contract);
    codesAndTokensContract(contract);
    sessionsAndRequestsContract(contract);
    keysAndRevocationsContract(contract);
    activityContract(contract);
    modernOAuthContract(contract);
    selfRegistrationContract(contract);
  });
}
