/**
 * Work done together pays less: on a loaded server, interleaving each request's ES256 signature,
 * SQLite commit or response write with the next request's parsing keeps pushing the data each one
 * needs out of the CPU caches (OpenSSL's P-256 tables, the kernel's socket path), so the same work
 * costs more interleaved than back to back.
 *
 * `endOfTurn()` resolves once this turn of the event loop has run its I/O callbacks (setImmediate),
 * and every caller in the same turn gets the same promise. Its reactions run in the order they were
 * registered, one after another, so what callers do right after awaiting it (sign a token, send a
 * response) runs back to back for the whole turn. An idle server's lone request waits for nothing
 * but the end of the turn it arrived in. Used before signing a token (src/keys/keyring.ts)
 * and before answering an introspection (src/http/oauth-endpoints.ts).
 */
let current: Promise<void> | undefined;

export function endOfTurn(): Promise<void> {
  current ??= new Promise((resolve) =>
    setImmediate(() => {
      current = undefined;
      resolve();
    }),
  );
  return current;
}
