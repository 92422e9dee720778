/**
 * What the protocol core tells the rest of the server. Dependencies point one way (DESIGN.md,
 * "Architecture"): the core emits these events and never imports who listens; the console, metrics
 * or webhooks subscribe when the server is wired together.
 */

/** A token request that passed client authentication: tokens issued, or refused by the rate limit (429). */
export interface TokenRequestEvent {
  readonly clientId: string;
  readonly outcome: 'issued' | 'rate_limited';
}

/** A client failed to authenticate at the token, introspection or revocation endpoint. */
export interface ClientAuthFailedEvent {
  readonly clientId: string;
  readonly reason: string;
}

/** The events the core emits. Listeners run synchronously on the request path, so they must be cheap. */
export interface OAuthEvents {
  onTokenRequest(event: TokenRequestEvent): void;
  onClientAuthFailed(event: ClientAuthFailedEvent): void;
}

/** The core's side emits through `OAuthEvents`; the wiring side adds listeners. */
export interface OAuthEventHub extends OAuthEvents {
  /** Adds a listener for some of the events; returns the function that removes it. */
  subscribe(listener: Partial<OAuthEvents>): () => void;
}

/**
 * A hub that calls every listener in turn. A listener that throws is reported and skipped: a
 * bookkeeping failure must never change the answer a client gets.
 */
export function createOAuthEvents(onListenerError: (error: unknown) => void): OAuthEventHub {
  const listeners = new Set<Partial<OAuthEvents>>();
  const emit =
    <K extends keyof OAuthEvents>(name: K) =>
    (event: Parameters<OAuthEvents[K]>[0]): void => {
      for (const listener of listeners) {
        try {
          (listener[name] as ((e: typeof event) => void) | undefined)?.(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    };
  return {
    onTokenRequest: emit('onTokenRequest'),
    onClientAuthFailed: emit('onClientAuthFailed'),
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
