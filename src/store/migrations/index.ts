import type { Migration } from 'kysely';
import * as initial from './001_initial.ts';

/** Migrations in order. Each later issue adds its own file and one line here. */
export const migrations: Record<string, Migration> = {
  '001_initial': initial,
};
