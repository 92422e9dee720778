/**
 * `latchkey/client`, kept for code written before the SDK became its own package: the same module
 * as `@latchkey/client` (packages/client), which integrators install on its own.
 */
export * from '@latchkey/client';
