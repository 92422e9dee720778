import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Clock } from '../clock.ts';
import { randomToken } from '../crypto.ts';
import type { ChangeNotices } from '../store/change-notices.ts';
import type { KeyRepository, StoredKey } from '../store/keys.ts';
import { endOfTurn } from '../turn.ts';
import { type Es256Sign, es256Signer } from './es256.ts';

export interface PublicKey {
  kid: string;
  key: KeyObject;
  jwk: JsonWebKey;
}

export interface KeyRing {
  /**
   * Signs a JWT with the current key (./es256.ts, node:crypto); the signatures asked for in one
   * event-loop turn are made together at its end (src/turn.ts).
   */
  signJwt(payload: object, typ: string): Promise<string>;
  /** Keys a verifier should accept: the signing key and retired keys whose tokens may still be valid. */
  publicKeys(): PublicKey[];
  publicKey(kid: string): PublicKey | undefined;
  /** Like publicKey, but an unknown kid re-reads the store first (at most every 10 s): another instance may have rotated. */
  findPublicKey(kid: string): Promise<PublicKey | undefined>;
  /** Re-reads the store (another process may have rotated). */
  reload(): Promise<void>;
  rotate(): Promise<string>;
  /** Stops listening for rotations elsewhere. */
  close(): void;
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

export function generateKey(clock: Clock): StoredKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomToken(12);
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  return {
    kid,
    alg: 'ES256',
    privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
    publicJwk: JSON.stringify(publicJwk),
    createdAt: clock(),
    retiredAt: null,
  };
}

/**
 * Makes a signing key current when none is: the first start on an empty store. Run it under the
 * store's lock (`Store.exclusively`), or instances starting together would each make one.
 */
export async function ensureSigningKey(repo: KeyRepository, clock: Clock): Promise<void> {
  const keys = await repo.list();
  if (!keys.some((k) => k.retiredAt === null)) await repo.addAndRetireOthers(generateKey(clock), clock());
}

/**
 * Loads the signing keys (`ensureSigningKey` has made the first one). A retired key stays published for
 * `publishRetiredMs` (the access-token lifetime plus a margin) so every token it signed still verifies.
 * A rotation publishes a notice; every instance that hears one (or may have missed one) re-reads.
 */
export async function openKeyRing(
  repo: KeyRepository,
  clock: Clock,
  publishRetiredMs: number,
  notices?: ChangeNotices,
): Promise<KeyRing> {
  let signer: { kid: string; sign: Es256Sign; headers: Map<string, string> } | undefined;
  let published: PublicKey[] = [];
  let byKid = new Map<string, PublicKey>();
  let lastMissReload = 0;

  // One read at a time, in the order asked: a slow earlier read cannot overwrite a later one.
  let queue: Promise<void> = Promise.resolve();
  function reload(): Promise<void> {
    const next = queue.then(read);
    queue = next.catch(() => {});
    return next;
  }

  async function read(): Promise<void> {
    const keys = await repo.list();
    const now = clock();
    const active = keys.find((k) => k.retiredAt === null) ?? keys[0];
    if (!active) throw new Error('No signing key in the store: ensureSigningKey makes the first one');
    signer = {
      kid: active.kid,
      sign: es256Signer(createPrivateKey({ key: JSON.parse(active.privateJwk), format: 'jwk' })),
      headers: new Map(),
    };
    published = keys
      .filter((k) => k.retiredAt === null || k.retiredAt + publishRetiredMs > now)
      .map((k) => {
        const jwk = JSON.parse(k.publicJwk) as JsonWebKey;
        return { kid: k.kid, jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) };
      });
    byKid = new Map(published.map((k) => [k.kid, k]));
  }

  await reload();
  const quietly = () => void reload().catch(() => {}); // The store is away: the next notice or tick retries.
  const unsubscribe = notices?.subscribe((n) => (n === 'reset' || n.kind === 'keys') && quietly());
  // Notices lost while Redis is away: re-read every 5 s meanwhile, so a rotation spreads within 5 s.
  const tick = notices?.shared && setInterval(() => notices.healthy() || quietly(), 5_000).unref();

  return {
    async signJwt(payload, typ) {
      const s = signer!;
      let header = s.headers.get(typ);
      if (header === undefined) {
        header = b64url(JSON.stringify({ alg: 'ES256', typ, kid: s.kid }));
        s.headers.set(typ, header);
      }
      const signingInput = `${header}.${b64url(JSON.stringify(payload))}`;
      await endOfTurn();
      return `${signingInput}.${s.sign(signingInput)}`;
    },
    publicKeys: () => published,
    publicKey: (kid) => byKid.get(kid),
    async findPublicKey(kid) {
      const known = byKid.get(kid);
      if (known || clock() - lastMissReload < 10_000) return known;
      lastMissReload = clock();
      await reload();
      return byKid.get(kid);
    },
    reload,
    async rotate() {
      const key = generateKey(clock);
      await repo.addAndRetireOthers(key, clock());
      await repo.pruneRetired(clock() - publishRetiredMs);
      await reload();
      await notices?.publish('keys', key.kid);
      return key.kid;
    },
    close() {
      unsubscribe?.();
      if (tick) clearInterval(tick);
    },
  };
}
