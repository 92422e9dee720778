import type { Clock } from '../clock.ts';
import type { Client, ClientRepository, ClientSecret } from '../oauth/model/clients.ts';
import type { ChangeNotices } from './change-notices.ts';

export interface ClientCacheOptions {
  /** How long an entry lives while change notices flow (a backstop: notices drop entries at once). */
  ttlMs: number;
  /** How long while they do not (Redis away): bounds how stale another instance's change can be. */
  degradedTtlMs: number;
  maxEntries?: number;
  /** Told whether each lookup was answered from memory (the cache-hit metric). */
  onLookup?: (hit: boolean) => void;
  /** SQLite: a counter bumped when another process has committed (./sqlite-changes.ts). */
  otherCommits?: () => number;
}

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * The token endpoint's two reads (the client, its secret hashes) from memory. Every write through
 * this repository drops the entry here and publishes a notice that drops it at every other instance;
 * on SQLite a commit by any other connection (the CLI, another process) drops everything.
 * Unknown ids are not cached (a flood of made-up ids must not fill the cache, and a client created
 * elsewhere is found at once). A secret's own expiry is checked by the caller at use time from the
 * row, so expiry by the clock needs no notice.
 */
export function cachedClients(
  repo: ClientRepository,
  notices: ChangeNotices,
  clock: Clock,
  options: ClientCacheOptions,
): ClientRepository {
  const { maxEntries = 10_000, onLookup, otherCommits } = options;
  let seenCommits = otherCommits?.();
  const clients = new Map<string, Entry<Client>>();
  const secrets = new Map<string, Entry<ClientSecret[]>>();
  // Bumped by every drop: a read that started before a drop must not store what it read.
  let generation = 0;

  const drop = (clientId: string): void => {
    generation++;
    clients.delete(clientId);
    secrets.delete(clientId);
  };
  const dropAll = (): void => {
    generation++;
    clients.clear();
    secrets.clear();
  };
  notices.subscribe((notice) => {
    if (notice === 'reset') dropAll();
    else if (notice.kind === 'client') drop(notice.id);
  });

  const ttl = () => (notices.healthy() ? options.ttlMs : options.degradedTtlMs);
  function fresh<T>(map: Map<string, Entry<T>>, id: string): T | undefined {
    // Which rows another process changed is unknown: all go. Its commits are seen within 100 ms
    // (DESIGN.md allows 1 s across instances).
    if (otherCommits && otherCommits() !== seenCommits) {
      seenCommits = otherCommits();
      dropAll();
    }
    const entry = map.get(id);
    if (!entry) return undefined;
    const age = clock() - entry.at;
    if (age >= 0 && age < ttl()) return entry.value;
    map.delete(id);
    return undefined;
  }
  function store<T>(map: Map<string, Entry<T>>, id: string, value: T, startedAt: number): void {
    if (startedAt !== generation) return;
    map.delete(id);
    // Oldest first in a Map's order: drop the oldest rather than grow without bound.
    if (map.size >= maxEntries) map.delete(map.keys().next().value!);
    map.set(id, { value, at: clock() });
  }
  async function changed(clientId: string): Promise<void> {
    drop(clientId);
    await notices.publish('client', clientId);
  }

  return {
    ...repo,
    async find(id) {
      const cached = fresh(clients, id);
      onLookup?.(cached !== undefined);
      if (cached) return cached;
      const startedAt = generation;
      const client = await repo.find(id);
      if (client) store(clients, id, client, startedAt);
      return client;
    },
    async secrets(clientId) {
      const cached = fresh(secrets, clientId);
      onLookup?.(cached !== undefined);
      if (cached) return cached;
      const startedAt = generation;
      const rows = await repo.secrets(clientId);
      store(secrets, clientId, rows, startedAt);
      return rows;
    },
    async update(id, update) {
      await repo.update(id, update);
      await changed(id);
    },
    async block(id, at) {
      const blocked = await repo.block(id, at);
      await changed(id);
      return blocked;
    },
    async delete(id) {
      const deleted = await repo.delete(id);
      await changed(id);
      return deleted;
    },
    async addSecret(secret) {
      await repo.addSecret(secret);
      await changed(secret.clientId);
    },
    async expireSecrets(clientId, at, keepId) {
      await repo.expireSecrets(clientId, at, keepId);
      await changed(clientId);
    },
    async touchSecret(id, at) {
      await repo.touchSecret(id, at);
      // "Last used" is informational: update this instance's copy, tell no one.
      for (const entry of secrets.values()) {
        const i = entry.value.findIndex((s) => s.id === id);
        if (i >= 0) entry.value = entry.value.with(i, { ...entry.value[i]!, lastUsedAt: at });
      }
    },
  };
}

/** Notes which clients a transaction's writes touched, so they are announced once it commits. */
export function recordingClientChanges(repo: ClientRepository, changed: Set<string>): ClientRepository {
  return {
    ...repo,
    async update(id, update) {
      await repo.update(id, update);
      changed.add(id);
    },
    async delete(id) {
      const deleted = await repo.delete(id);
      changed.add(id);
      return deleted;
    },
    async block(id, at) {
      const blocked = await repo.block(id, at);
      changed.add(id);
      return blocked;
    },
    async addSecret(secret) {
      await repo.addSecret(secret);
      changed.add(secret.clientId);
    },
    async expireSecrets(clientId, at, keepId) {
      await repo.expireSecrets(clientId, at, keepId);
      changed.add(clientId);
    },
  };
}
