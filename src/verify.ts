/**
 * `latchkey/verify`, kept for code written before the verifier became its own package: the same
 * module as `@latchkey/verify` (packages/verify), which API developers install on its own.
 */
export * from '@latchkey/verify';
