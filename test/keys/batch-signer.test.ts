import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBatchSigner } from '../../src/keys/batch-signer.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const verifies = (input: string, signature: Buffer, key = publicKey) =>
  verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);

describe('batch signer', () => {
  it('signs every input asked for in one turn, each with its own key and a fresh R || S signature', async () => {
    const sign = createBatchSigner();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const inputs = Array.from({ length: 25 }, (_, i) => `header.payload-${i}`);
    const signatures = await Promise.all(
      inputs.map((input, i) => sign(input, i % 2 ? other.privateKey : privateKey)),
    );
    signatures.forEach((signature, i) => {
      expect(signature).toHaveLength(64); // RFC 7518 §3.4: 32-byte R then 32-byte S
      expect(verifies(inputs[i]!, signature, i % 2 ? other.publicKey : publicKey)).toBe(true);
      expect(verifies(inputs[i]!, signature, i % 2 ? publicKey : other.publicKey)).toBe(false);
    });
    // ECDSA draws a new nonce each time: the same input twice gives two different valid signatures.
    const [a, b] = await Promise.all([sign('same', privateKey), sign('same', privateKey)]);
    expect(a!.equals(b!)).toBe(false);
    expect(verifies('same', a!) && verifies('same', b!)).toBe(true);
  });

  it('makes the signatures of one turn together, after that turn: none is made before it ends', async () => {
    const sign = createBatchSigner();
    const settled: number[] = [];
    const pending = [0, 1, 2].map((i) => sign(`input-${i}`, privateKey).then(() => settled.push(i)));
    await Promise.resolve();
    expect(settled).toEqual([]); // still queued: the batch runs at setImmediate
    await Promise.all(pending);
    expect(settled).toEqual([0, 1, 2]);
    // A later turn starts a new batch.
    await expect(sign('later', privateKey).then((s) => verifies('later', s))).resolves.toBe(true);
  });

  it('rejects only the job that cannot be signed; the rest of its batch is signed', async () => {
    const sign = createBatchSigner();
    const notPrivate = createPublicKey(privateKey);
    const results = await Promise.allSettled([
      sign('first', privateKey),
      sign('broken', notPrivate),
      sign('third', privateKey),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const third = results[2] as PromiseFulfilledResult<Buffer>;
    expect(verifies('third', third.value)).toBe(true);
  });
});
