/** The HTTP API as its users reach it, with a session cookie each: the API phases' client. */

export interface Session {
  role: string;
  cookie: string;
}

export async function http<T>(
  baseUrl: string,
  method: string,
  path: string,
  cookie: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
}

export async function login(baseUrl: string, role: string): Promise<Session> {
  const response = await http(baseUrl, 'POST', '/api/session', undefined, { username: role, password: 'raccordo-demo' });
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.startsWith('raccordo_session='));
  if (!cookie) throw new Error(`login as ${role}: no session cookie`);
  return { role, cookie };
}
