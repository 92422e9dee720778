import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Config } from './config/index.ts';
import type { KeyRing } from './keys/keyring.ts';
import type { RateLimiter } from './ratelimit/index.ts';
import type { Store } from './store/index.ts';

/** What the protocol core and the HTTP adapters need, built once at start (see server.ts). Read-only. */
export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly store: Store;
  readonly keys: KeyRing;
  readonly limiter: RateLimiter;
  readonly log: Logger;
}
