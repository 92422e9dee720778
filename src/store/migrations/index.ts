import type { Migration } from 'kysely';
import * as initial from './001_initial.ts';
import * as authFlow from './002_auth_flow.ts';
import * as console from './003_console.ts';
import * as platform from './004_platform.ts';
import * as loginIdentities from './005_login_identities.ts';
import * as modernOAuth from './006_modern_oauth.ts';
import * as refreshTokenPages from './007_refresh_token_pages.ts';
import * as outboxSealed from './008_outbox_sealed.ts';
import * as promptAndLogout from './009_prompt_and_logout.ts';
import * as openIdConnect from './010_openid_connect.ts';
import * as selfRegisteredClients from './011_self_registered_clients.ts';

/** Migrations in order. Each later issue adds its own file and one line here. */
export const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_auth_flow': authFlow,
  '003_console': console,
  '004_platform': platform,
  '005_login_identities': loginIdentities,
  '006_modern_oauth': modernOAuth,
  '007_refresh_token_pages': refreshTokenPages,
  '008_outbox_sealed': outboxSealed,
  '009_prompt_and_logout': promptAndLogout,
  '010_openid_connect': openIdConnect,
  '011_self_registered_clients': selfRegisteredClients,
};
