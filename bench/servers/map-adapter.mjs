// An unbounded in-memory adapter for node-oidc-provider (its bundled one is a 1,000-entry LRU).
// Entries expire lazily on read and in a sweep every 10 s, so memory follows what is live.
const store = new Map();

setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
}, 10_000).unref();

export class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    for (const entry of store.values()) if (entry.payload.uid === uid) return entry.payload;
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const entry of store.values()) if (entry.payload.userCode === userCode) return entry.payload;
    return undefined;
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    // Rare (code reuse, revocation): a scan is fine here.
    for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
  }
}
