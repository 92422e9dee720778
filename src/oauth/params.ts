import { OAuthError } from './errors.ts';

/** Request parameters after parsing: every value a single string (RFC 6749 §3.1, §3.2). */
export type Params = Readonly<Record<string, string>>;

/**
 * Turns a parsed form or JSON body into Params. RFC 6749 §3.1: "Request and response parameters MUST
 * NOT be included more than once" — a repeated form field arrives as an array and is refused; JSON
 * bodies are checked for repeated keys by `findDuplicateJsonKey` (src/http/body.ts) when they are parsed.
 */
export function toParams(body: unknown): Params {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be a form or a JSON object');
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value))
      throw new OAuthError('invalid_request', `Parameter "${name}" appears more than once`);
    if (typeof value !== 'string') {
      if (typeof value === 'number' || typeof value === 'boolean') {
        params[name] = String(value);
        continue;
      }
      throw new OAuthError('invalid_request', `Parameter "${name}" must be a string`);
    }
    // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    if (value !== '') params[name] = value;
  }
  return params;
}

/** Finds a key repeated at the top level of a JSON object text, which JSON.parse would silently merge. */
export function findDuplicateJsonKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] !== ':') continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}

export function required(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined) throw new OAuthError('invalid_request', `Missing parameter "${name}"`);
  return value;
}
