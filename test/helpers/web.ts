/** Driving the server-rendered pages with fetch, without a browser. */

/** A tiny cookie jar for fetch: enough to drive the forms. */
export function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
    },
    get: (name: string) => cookies.get(name),
  };
}

/** Undoes the HTML escaping of text and attribute values. */
export const decode = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The value of the hidden input `name` in a page. */
export const hiddenField = (html: string, name: string): string => {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in page`);
  return decode(match[1]!);
};

/**
 * Signs in through the form, as a browser would: GET /login (login CSRF cookie and field), then POST
 * it with `next`. `response` is the POST's answer (303 on success); `jar` holds the session cookie.
 */
export async function submitLogin(
  issuer: string,
  email: string,
  password: string,
  next = '/',
): Promise<{ jar: ReturnType<typeof cookieJar>; response: Response }> {
  const jar = cookieJar();
  const form = await fetch(`${issuer}/login?next=${encodeURIComponent(next)}`);
  jar.take(form);
  const csrf = hiddenField(await form.text(), '_csrf');
  const response = await fetch(`${issuer}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ _csrf: csrf, email, password, next }),
  });
  jar.take(response);
  return { jar, response };
}
