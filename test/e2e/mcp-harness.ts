import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../src/accounts/users.ts';
import { loadConfig } from '../../src/config/index.ts';
import { closeServices, createServices, type Services } from '../../src/services.ts';
import { screenshot } from '../helpers/browser.ts';
import { assertBuilt, bin, serveBuilt } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';

const run = promisify(execFile);

export type Database = 'sqlite' | 'postgres';

/** `latchkey serve` of the compiled dist/ as its own process, and the CLI against its database. */
export interface LatchkeyProcess {
  issuer: string;
  /** Services of this test process on the same database: an operator's tool, like the CLI. */
  admin: Services;
  /** `latchkey ARGS --json` on the same database; the parsed output. */
  cli(args: string[]): Promise<Record<string, unknown>>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A Latchkey process on a fresh SQLite file or PostgreSQL database. Runs as a process of its own so
 * that `env` reaches it at start: NODE_EXTRA_CA_CERTS is read by Node only then.
 */
export async function startLatchkeyProcess(
  database: Database,
  env: Record<string, string>,
): Promise<LatchkeyProcess> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-mcp-'));
  const pg = database === 'postgres' ? await freshPostgres() : undefined;
  if (database === 'postgres' && !pg) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const shared = {
    HOST: '127.0.0.1',
    PORT: String(port),
    LATCHKEY_ISSUER: issuer,
    LATCHKEY_DATABASE: pg?.url ?? join(dir, 'latchkey.sqlite'),
    LATCHKEY_ENVIRONMENT: 'test',
    LATCHKEY_LOG_LEVEL: 'info',
    ...env,
  };
  const served = serveBuilt(shared);
  let admin: Services | undefined;
  const stop = async () => {
    if (admin) await closeServices(admin);
    if (served.child.exitCode === null && served.child.signalCode === null) {
      const exited = new Promise((resolve) => served.child.once('exit', resolve));
      served.child.kill('SIGTERM');
      await exited;
    }
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (served.child.exitCode !== null) throw new Error(`latchkey exited:\n${served.output()}`);
      const ready = await fetch(`${issuer}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 600) throw new Error(`latchkey never became ready:\n${served.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    admin = await createServices(loadConfig({ ...shared, LATCHKEY_LOG_LEVEL: 'silent' }), { migrate: false });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    issuer,
    admin,
    async cli(args) {
      const { stdout } = await run(process.execPath, [bin, ...args, '--json'], {
        env: { ...process.env, ...shared, LATCHKEY_LOG_LEVEL: 'warn' },
        timeout: 30_000,
      });
      return JSON.parse(stdout);
    },
    output: served.output,
    stop,
  };
}

/** A person with an account in two organizations. */
export interface Person {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  /** The second organization, the one the person picks at consent. */
  otherOrgId: string;
  otherOrgName: string;
}

export async function createPerson(lk: LatchkeyProcess): Promise<Person> {
  const { accounts } = lk.admin.store;
  const org = await accounts.createOrganization('Acme Invoices');
  const otherOrgName = 'Nordwind Handels GmbH';
  const other = await accounts.createOrganization(otherOrgName);
  const email = `erika-${randomBytes(3).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const user = await createUser({ email, password, orgId: org.id, role: 'admin' }, lk.admin);
  await accounts.addMembership(other.id, user.id, 'member');
  return { email, password, userId: user.id, orgId: org.id, otherOrgId: other.id, otherOrgName };
}

/** What the person saw in Chromium on the way: the consent page's text, or the page that stopped them. */
export interface Visit {
  /** Where the browser ended: the redirect URI with the response, or a Latchkey page. */
  url: URL;
  status: number | undefined;
  consentText?: string;
  /** The text of the page the browser stopped on when it never reached the redirect URI. */
  pageText?: string;
}

/**
 * A person in Chromium who follows an authorization URL: signs in, picks `person.otherOrgName` on
 * the consent page and allows access. Stops on any other page Latchkey shows and reports it.
 * `name` names the screenshots.
 */
export function approveInChromium(browser: Browser, person: Person, redirectUrl: string, name: string) {
  return async (authorizationUrl: URL): Promise<Visit> => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const atRedirect = (url: URL) => url.href.startsWith(redirectUrl);
    try {
      let response = await page.goto(authorizationUrl.href);
      if (new URL(page.url()).pathname === '/login') {
        await page.getByLabel('Email address').fill(person.email);
        await page.getByLabel('Password').fill(person.password);
        [response] = await Promise.all([
          page.waitForNavigation(),
          page.getByRole('button', { name: 'Sign in' }).click(),
        ]);
        await page.waitForURL((url) => url.pathname !== '/login');
      }
      let consentText: string | undefined;
      if (new URL(page.url()).pathname === '/consent' && response?.status() === 200) {
        consentText = await text(page);
        await page.getByLabel(new RegExp(person.otherOrgName)).check();
        await screenshot(page, `${name}-consent`);
        await Promise.all([
          page.waitForURL(atRedirect),
          page.getByRole('button', { name: 'Allow access' }).click(),
        ]);
        return { url: new URL(page.url()), status: undefined, consentText };
      }
      const url = new URL(page.url());
      if (atRedirect(url)) return { url, status: response?.status(), consentText };
      await screenshot(page, `${name}-stopped`);
      return { url, status: response?.status(), consentText, pageText: await text(page) };
    } finally {
      await context.close();
    }
  };
}

const text = async (page: Page) =>
  (await page.locator('main').textContent())?.replace(/\s+/g, ' ').trim() ?? '';

interface ProviderOptions {
  redirectUrl: string;
  issuer: string;
  visit: (url: URL) => Promise<Visit>;
  clientMetadataUrl?: string;
  /** Pre-registered credentials (no registration at all). */
  clientInformation?: OAuthClientInformationMixed;
  clientName?: string;
}

/**
 * The MCP SDK's OAuthClientProvider as an MCP client on a person's machine implements it: a loopback
 * redirect URI, the person's browser for the authorization step (`visit`), and memory for what the
 * SDK saves. Checks `state` and `iss` (RFC 9207) on the way back before it hands the code over.
 */
export class ChromiumProvider implements OAuthClientProvider {
  readonly redirectUrl: string;
  readonly clientMetadataUrl?: string;
  readonly clientMetadata: OAuthClientMetadata;
  /** Every URL the SDK sent the browser to, and what the person saw there. */
  readonly authorizations: Array<{ url: URL; visit: Visit }> = [];
  readonly invalidated: string[] = [];
  private information?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier?: string;
  private expectedState?: string;

  private readonly options: ProviderOptions;

  constructor(options: ProviderOptions) {
    this.options = options;
    this.redirectUrl = options.redirectUrl;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.information = options.clientInformation;
    this.clientMetadata = {
      client_name: options.clientName ?? 'Invoice Agent',
      redirect_uris: [options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    this.expectedState = randomBytes(16).toString('base64url');
    return this.expectedState;
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this.information = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizations.push({ url, visit: await this.options.visit(url) });
  }

  /** The last authorization's code, after checking that the response is the one this client asked for. */
  code(): string {
    const last = this.authorizations.at(-1);
    if (!last) throw new Error('the SDK never sent the person to authorize');
    const back = last.visit.url;
    if (!back.href.startsWith(this.redirectUrl)) {
      throw new Error(`the browser never came back: stopped at ${back.href}: ${last.visit.pageText}`);
    }
    if (back.searchParams.get('state') !== this.expectedState) throw new Error('state does not match');
    if (back.searchParams.get('iss') !== this.options.issuer) throw new Error('iss does not match');
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`no code: ${back.searchParams.get('error')}`);
    return code;
  }
}

/** The claims of a JWT, unverified (the MCP server verified it). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

/** A request the SDK sent, and what it got back (the body when it was JSON). */
export interface SentRequest {
  method: string;
  url: string;
  body?: string;
  authorization?: string;
  status?: number;
  answer?: string;
}

/** A fetch for the SDK that keeps every request it sends and the answer to each. */
export function recordingFetch(
  extraHeaders: (url: string, method: string) => Record<string, string> = () => ({}),
) {
  const requests: SentRequest[] = [];
  const recording = async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extraHeaders(url, method))) headers.set(name, value);
    const sent: SentRequest = {
      method,
      url,
      body:
        typeof init?.body === 'string' || init?.body instanceof URLSearchParams
          ? String(init.body)
          : undefined,
      authorization: headers.get('authorization') ?? undefined,
    };
    requests.push(sent);
    const response = await fetch(input, { ...init, headers });
    sent.status = response.status;
    // JSON answers only: an event stream's body may never end.
    if (response.headers.get('content-type')?.includes('json')) sent.answer = await response.clone().text();
    return response;
  };
  return { fetch: recording as typeof fetch, requests };
}
