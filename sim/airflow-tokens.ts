// Signed tokens the simulated Airflow hands out: opaque file tokens (like
// itsdangerous' URLSafeSerializer) and JWTs from its simple auth manager.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export interface Tokens {
  /** An opaque, signed token carrying `payload`. */
  sign(payload: unknown): string;
  /** The payload of a token this server signed, or undefined. */
  read(token: string): unknown;
  issueJwt(subject: string, ttlMs: number): string;
  jwtValid(token: string): boolean;
  /** Every JWT issued so far stops being valid. */
  expireJwts(): void;
}

export function createTokens(): Tokens {
  const secret = randomUUID();
  const expiries = new Map<string, number>(); // jti -> expiry (ms)
  const mac = (text: string) => createHmac('sha256', secret).update(text).digest('base64url');
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const decode = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64url').toString()) as unknown;

  return {
    sign(payload) {
      const body = encode(payload);
      return `${body}.${mac(body)}`;
    },
    read(token) {
      const dot = token.lastIndexOf('.');
      if (dot < 0 || !safeEqual(mac(token.slice(0, dot)), token.slice(dot + 1))) return undefined;
      try {
        return decode(token.slice(0, dot));
      } catch {
        return undefined;
      }
    },
    issueJwt(subject, ttlMs) {
      const now = Date.now();
      const jti = randomUUID();
      expiries.set(jti, now + ttlMs);
      const signed = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
        sub: subject,
        jti,
        iat: Math.floor(now / 1000),
        nbf: Math.floor(now / 1000),
        exp: Math.ceil((now + ttlMs) / 1000),
      })}`;
      return `${signed}.${mac(signed)}`;
    },
    jwtValid(token) {
      const [header, payload, signature] = token.split('.');
      if (!header || !payload || !signature || !safeEqual(mac(`${header}.${payload}`), signature)) return false;
      try {
        const { jti } = decode(payload) as { jti?: string };
        const expiry = jti === undefined ? undefined : expiries.get(jti);
        return expiry !== undefined && Date.now() < expiry;
      } catch {
        return false;
      }
    },
    expireJwts() {
      for (const jti of expiries.keys()) expiries.set(jti, 0);
    },
  };
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
