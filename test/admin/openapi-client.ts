import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { expect } from 'vitest';

type Operation = {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
export type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * A real HTTP client for the admin API that checks every request it sends and every answer it gets
 * against the served OpenAPI document: the document itself with @seriousme/openapi-schema-validator,
 * bodies with ajv over the document's own (JSON Schema 2020-12) schemas.
 */
export async function adminClient(issuer: string, token: string | undefined) {
  const doc = (await (await fetch(`${issuer}/admin/v1/openapi.json`)).json()) as OpenApi;
  const check = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
  expect(check.errors ?? [], 'the OpenAPI document is valid').toEqual([]);
  expect(check.valid).toBe(true);
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  formats.default(ajv);
  const covered = new Set<string>();

  const operationFor = (method: string, path: string): [string, Operation] => {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const op = ops[method.toLowerCase()];
      if (pattern.test(path) && op) return [`${method} ${template}`, op];
    }
    throw new Error(`${method} ${path} is not in the OpenAPI document`);
  };
  const validate = (schema: object, value: unknown, what: string) => {
    const fn = ajv.compile(schema);
    expect(fn(value) ? [] : fn.errors, what).toEqual([]);
  };

  /** `invalid`: the test sends a request the document forbids on purpose (it must be refused). */
  async function call(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    options: { token?: string; invalid?: boolean } = {},
  ): Promise<Answer> {
    const auth = 'token' in options ? options.token : token;
    const path = pathAndQuery.split('?')[0]!;
    const [name, op] = operationFor(method, path);
    if (body !== undefined && op.requestBody) {
      const fn = ajv.compile(op.requestBody.content['application/json']!.schema);
      expect(fn(body), `${name} request is ${options.invalid ? 'invalid' : 'valid'}`).toBe(!options.invalid);
    }
    const response = await fetch(`${issuer}${pathAndQuery}`, {
      method,
      headers: {
        ...(auth && { authorization: `Bearer ${auth}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const status = response.status;
    const spec = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
    expect(spec, `${name} documents status ${status}`).toBeDefined();
    const type = response.headers.get('content-type')?.split(';')[0];
    if (status === 204) expect(text).toBe('');
    else {
      expect(Object.keys(spec!.content ?? {}), `${name} ${status} content type`).toContain(type);
      validate(spec!.content![type!]!.schema, JSON.parse(text), `${name} ${status} response`);
    }
    covered.add(`${name} ${status < 400 ? 'ok' : 'problem'}`);
    return { status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }
  const operations = Object.entries(doc.paths).flatMap(([t, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${t}`),
  );
  return { doc, call, covered, operations };
}
