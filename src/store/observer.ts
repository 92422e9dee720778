/**
 * What the store tells whoever watches it (the /metrics plugin): how long queries take and whether
 * the client cache answered. Listeners run on the request path, so they must be cheap.
 */
export interface StoreObserver {
  query?(seconds: number): void;
  cacheLookup?(cache: 'clients' | 'token_status', hit: boolean): void;
}

export interface StoreObservers extends Required<StoreObserver> {
  /** Adds an observer; returns the function that removes it. */
  add(observer: StoreObserver): () => void;
}

export function storeObservers(): StoreObservers {
  const observers = new Set<StoreObserver>();
  return {
    add(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    query(seconds) {
      for (const o of observers) o.query?.(seconds);
    },
    cacheLookup(cache, hit) {
      for (const o of observers) o.cacheLookup?.(cache, hit);
    },
  };
}
