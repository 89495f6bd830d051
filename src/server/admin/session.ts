/**
 * The admin page's login session: a signed, expiring cookie (stateless, so every node of a cluster that
 * shares `sessionSecret` accepts it) and a CSRF token bound to it, both HMAC-SHA-256 with Web Crypto.
 *
 * @module
 */

const encoder = new TextEncoder();
/** Over https the cookie is `Secure` and host-only by name (`__Host-`); over plain http it cannot be. */
const cookieName = (secure: boolean) => (secure ? '__Host-zcc_admin' : 'zcc_admin');

const base64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** @internal */
export interface AdminSessions {
  /** A new session's `Set-Cookie` value. */
  issue(secure: boolean): Promise<string>;
  /** The session cookie of a request when it is valid and unexpired, else undefined. */
  read(request: Request): Promise<string | undefined>;
  /** The CSRF token of a session (sent back by the page in `x-csrf-token`). */
  csrf(session: string): Promise<string>;
  /** Whether the request carries the CSRF token of its session. */
  checkCsrf(request: Request, session: string): Promise<boolean>;
  /** A `Set-Cookie` value that ends the session. */
  clear(secure: boolean): string;
}

/** @internal */
export function createAdminSessions(options: {
  secret: Uint8Array;
  ttlMs: number;
  now: () => number;
}): AdminSessions {
  const key = crypto.subtle.importKey('raw', options.secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const sign = async (text: string) =>
    base64url(await crypto.subtle.sign('HMAC', await key, encoder.encode(text)));
  const same = (a: string, b: string) => {
    let difference = a.length ^ b.length;
    for (let i = 0; i < a.length; i++)
      difference |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length));
    return difference === 0;
  };
  return {
    async issue(secure) {
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const body = `${options.now() + options.ttlMs}.${nonce}`;
      const value = `${body}.${await sign(`session:${body}`)}`;
      const maxAge = Math.floor(options.ttlMs / 1000);
      return `${cookieName(secure)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
    },
    async read(request) {
      const cookies = (request.headers.get('cookie') ?? '').split(/;\s*/);
      const named = (name: string) =>
        cookies.find((part) => part.startsWith(`${name}=`))?.slice(name.length + 1);
      const value = named(cookieName(true)) ?? named(cookieName(false));
      const parts = value?.split('.');
      if (!value || parts?.length !== 3) return undefined;
      const [expires, nonce, signature] = parts as [string, string, string];
      if (!/^\d{1,16}$/.test(expires) || Number(expires) <= options.now()) return undefined;
      return same(signature, await sign(`session:${expires}.${nonce}`)) ? value : undefined;
    },
    csrf: (session) => sign(`csrf:${session}`),
    async checkCsrf(request, session) {
      const presented = request.headers.get('x-csrf-token') ?? '';
      return same(presented, await sign(`csrf:${session}`));
    },
    clear: (secure) =>
      `${cookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`,
  };
}
