// The credentials each request carries. Airflow 3 with a username and password
// logs in once (POST /auth/token) and sends the JWT; when a long wait outlives
// the token, the first 401 fetches a new one, shared by concurrent requests.
import { z } from 'zod';
import { HttpError, parseJson, type Deadline, type HttpTarget, type request } from '../http.js';

export type AirflowAuth =
  | { readonly kind: 'none' }
  /** Basic auth with every API version. */
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** Airflow 2: basic auth; Airflow 3: a JWT from POST /auth/token, renewed on 401 once. */
  | { readonly kind: 'password'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

export type ApiVersion = 'v1' | 'v2';

export interface AuthSession {
  /** Headers for the next request (Authorization, or none). */
  headers(): Readonly<Record<string, string>>;
  /** After a 401 on a request sent with `sent`: true when fresh credentials are now in place. */
  renew(sent: Readonly<Record<string, string>>, deadline: Deadline): Promise<boolean>;
}

const TokenResponse = z.object({ access_token: z.string().min(1) });

export async function openSession(
  auth: AirflowAuth,
  version: ApiVersion,
  target: HttpTarget,
  deadline: Deadline,
  send: typeof request,
): Promise<AuthSession> {
  const fixed = staticHeaders(auth, version);
  if (fixed || auth.kind !== 'password') {
    const headers = fixed ?? {};
    return { headers: () => headers, renew: async () => false };
  }
  let token = await login(auth, target, deadline, send);
  let pending: Promise<string> | undefined;
  return {
    headers: () => ({ Authorization: `Bearer ${token}` }),
    async renew(sent, renewDeadline) {
      // Another request may have renewed the token already.
      if (sent.Authorization !== `Bearer ${token}`) return true;
      pending ??= login(auth, target, renewDeadline, send).finally(() => {
        pending = undefined;
      });
      token = await pending;
      return true;
    },
  };
}

/** Headers that do not need a login round trip; undefined for Airflow 3 password logins. */
export function staticHeaders(auth: AirflowAuth, version: ApiVersion): Record<string, string> | undefined {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'bearer':
      return { Authorization: `Bearer ${auth.token}` };
    case 'basic':
      return basic(auth.username, auth.password);
    case 'password':
      return version === 'v1' ? basic(auth.username, auth.password) : undefined;
  }
}

function basic(username: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

async function login(
  auth: { readonly username: string; readonly password: string },
  target: HttpTarget,
  deadline: Deadline,
  send: typeof request,
): Promise<string> {
  const response = await send(target, {
    method: 'POST',
    path: 'auth/token',
    json: { username: auth.username, password: auth.password },
    deadline,
  });
  const where = `POST ${new URL('auth/token', withSlash(target.baseUrl)).pathname}`;
  const parsed = TokenResponse.safeParse(parseJson(target, where, response));
  if (!parsed.success) {
    // Never echo the body: it may hold a token.
    throw new HttpError(
      'garbage',
      `Airflow ${where} answered ${response.status} without an access_token: the simple auth manager's login is not at this URL.`,
      `Check ${target.urlInput}, or use ${target.authInput} with the login your Airflow deployment provides (a bearer token for Astronomer or Cloud Composer).`,
      response.status,
    );
  }
  return parsed.data.access_token;
}

export function withSlash(url: URL): URL {
  return url.href.endsWith('/') ? url : new URL(`${url.href}/`);
}
