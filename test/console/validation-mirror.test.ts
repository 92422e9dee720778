import { describe, expect, it } from 'vitest';
import {
  type GrantChoice,
  redirectUrlProblem,
  validateCredentialsForm,
} from '../../src/console/credentials-form.ts';
import * as browser from '../../src/http/assets/console.js';
import { redirectUriProblem } from '../../src/oauth/redirect-uri.ts';

/** The page validates as you type with console.js; the server decides. They must agree word for word. */
const uris = [
  'https://app.example.com/oauth/callback',
  'https://app.example.com/oauth/callback/',
  'http://localhost:3000/callback',
  'http://127.0.0.1:8080/cb',
  'http://[::1]:8080/cb',
  'http://localhost.evil.com/cb',
  'http://app.example.com/callback',
  'https://*.example.com/callback',
  'https://app.example.com/cb*',
  'https://app.example.com/cb#frag',
  'https://app.example.com/cb#',
  'https://user:pass@app.example.com/cb',
  'https://user@app.example.com/cb',
  '/callback',
  'app.example.com/callback',
  'ftp://files.example.com/cb',
  'javascript:alert(1)',
  'com.example.app:/oauth2redirect',
  ' https://app.example.com/cb',
  'https://app.example.com/cb ',
  '',
  '   ',
  'https://',
  'https://app.example.com:8443/cb?x=1',
  'HTTPS://APP.EXAMPLE.COM/cb',
  'https://exämple.com/cb',
  'https://app.example.com/%zz',
];

describe('console.js mirrors the server rules', () => {
  it.each(uris)('redirect URL %j', (uri) => {
    expect(browser.redirectUriProblem(uri)).toBe(redirectUriProblem(uri));
    expect(browser.redirectUrlProblem(uri, [uri])).toBe(redirectUrlProblem(uri, [uri]));
    expect(browser.redirectUrlProblem(uri, [])).toBe(redirectUrlProblem(uri, []));
  });

  it('says how to fix each problem', () => {
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) expect(problem).toMatch(/^(Use|Remove|Enter|Wildcards)/);
    }
  });

  const forms: { name: string; redirectUris: string[]; grants: GrantChoice[] }[] = [
    { name: '', redirectUris: [''], grants: [] },
    { name: 'x'.repeat(101), redirectUris: [''], grants: ['authorization_code'] },
    { name: 'Make – Production', redirectUris: ['', '  '], grants: ['client_credentials'] },
    {
      name: 'Make',
      redirectUris: ['https://a.example.com/cb', '', 'https://a.example.com/cb'],
      grants: ['authorization_code'],
    },
    {
      name: 'Sage100',
      redirectUris: ['http://sage.example.com/cb', 'https://ok.example.com'],
      grants: ['authorization_code', 'client_credentials'],
    },
  ];
  it.each(forms)('form %j', (form) => {
    expect(browser.validateCredentialsForm(form)).toEqual(validateCredentialsForm(form));
  });
});
