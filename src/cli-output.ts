// What every CLI command prints: one JSON object with --json, otherwise text for a person.
import { Option } from 'commander';

export const json = (): Option => new Option('--json', 'print exactly one JSON object on stdout');

export function print(asJson: boolean | undefined, value: object, text: string): void {
  process.stdout.write(asJson ? `${JSON.stringify(value)}\n` : `${text}\n`);
}
