import { type KeyObject, sign } from 'node:crypto';

interface Job {
  input: string;
  key: KeyObject;
  resolve: (signature: Buffer) => void;
  reject: (error: unknown) => void;
}

/**
 * ES256 signatures asked for during one turn of the event loop are made together, back to back, when
 * the turn's I/O callbacks are done (setImmediate). Measured on this project's benchmark machine: one
 * signature costs ~35 µs in a tight loop but ~75 µs when each one sits between other request work on
 * a loaded server, because OpenSSL's precomputed P-256 tables have left the CPU cache by then. Signing
 * a turn's tokens in a row made a bare Fastify + ES256 token endpoint ~55 % faster (bench/README.md,
 * "Fourth round"). An idle server signs a lone token on the same turn, so nothing waits on a timer.
 */
export function createBatchSigner(): (input: string, key: KeyObject) => Promise<Buffer> {
  let queue: Job[] = [];

  function flush(): void {
    const jobs = queue;
    queue = [];
    for (const job of jobs) {
      try {
        // RFC 7518 §3.4: the JWS signature is R || S, which is what ieee-p1363 encoding yields.
        job.resolve(sign('sha256', Buffer.from(job.input), { key: job.key, dsaEncoding: 'ieee-p1363' }));
      } catch (error) {
        job.reject(error);
      }
    }
  }

  return (input, key) =>
    new Promise<Buffer>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ input, key, resolve, reject });
    });
}
