/** Types of the console script's validation exports (test/console/validation-mirror.test.ts). */
export function redirectUriProblem(uri: string): string | undefined;
export function redirectUrlProblem(uri: string, earlier?: readonly string[]): string | undefined;
export function validateCredentialsForm(v: { name: string; redirectUris: string[]; grants: string[] }): {
  name?: string;
  grants?: string;
  redirectUris: (string | undefined)[];
  redirectList?: string;
};
