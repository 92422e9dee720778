// What every CLI command shares: its output (one JSON object with --json, otherwise text for a person),
// the services it runs with, and lists read to the end.
import { Option } from 'commander';
import type { Page, PageQuery } from './oauth/model/pages.ts';
import type { Services } from './services.ts';

export const json = (): Option => new Option('--json', 'print exactly one JSON object on stdout');

export function print(asJson: boolean | undefined, value: object, text: string): void {
  process.stdout.write(asJson ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

/** Runs a command's work with the services open, and closes them after (cli.ts `withServices`). */
export type WithServices = <T>(fn: (s: Services) => Promise<T>) => Promise<T>;

/** Every item of a paged list, page after page: the CLI lists everything. */
export async function everyPage<T>(list: (page: PageQuery) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: PageQuery['after'];
  do {
    const page = await list({ limit: 500, after });
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}
