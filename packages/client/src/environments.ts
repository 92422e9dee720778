import { LatchkeyError } from './errors.ts';

/**
 * Where the authorization server lives.
 *
 * Latchkey is self-hosted, so the SDK cannot ship the URLs of anyone's stage or production: the
 * presets name environments whose issuer URLs the integrator supplies once (`environments`), and
 * code elsewhere picks one by name (`environment: 'stage'`). A full URL works in place of a name.
 */
export interface IssuerOptions {
  /** The issuer identifier, e.g. `https://auth.example.com` (wins over `environment`). */
  issuer?: string;
  /** `'stage'`, `'production'` (or another name from `environments`), or an issuer URL. */
  environment?: EnvironmentName | (string & {});
  /** Issuer URL for each environment name, e.g. `{ stage: 'https://auth.stage.example.com' }`. */
  environments?: Readonly<Record<string, string>>;
}

export type EnvironmentName = 'stage' | 'production';

const ABSOLUTE_HTTP_URL = /^https?:\/\//i;

/** The issuer URL the options point at; a configuration error names what is missing. */
export function resolveIssuer(options: IssuerOptions): string {
  if (options.issuer) return options.issuer;
  const environment = options.environment;
  if (!environment) {
    throw new LatchkeyError('configuration_error', {
      description: 'pass `issuer`, `environment` (with `environments`), or `tokenEndpoint`',
    });
  }
  if (ABSOLUTE_HTTP_URL.test(environment)) return environment;
  const issuer = options.environments?.[environment];
  if (!issuer) {
    throw new LatchkeyError('configuration_error', {
      description: `environment "${environment}" has no issuer URL in \`environments\``,
    });
  }
  return issuer;
}
