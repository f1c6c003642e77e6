/** The signed-in user's bearer token, kept in this browser's local storage. */

const STORAGE_KEY = 'checkpointer-demo.token';

/** What the page reads from a token (for display and expiry only: the server decides). */
export interface TokenClaims {
  readonly email: string;
  /** Expiry, in milliseconds since the epoch; `undefined` when the token has none. */
  readonly expiresAt: number | undefined;
}

/** The stored token, if any. Read on every request, so a sign-out in another tab applies here. */
export function storedToken(): string | undefined {
  return localStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function storeToken(token: string): void {
  localStorage.setItem(STORAGE_KEY, token);
}

export function forgetToken(): void {
  localStorage.removeItem(STORAGE_KEY);
}

/** Whether a `storage` event is about the token (signed in or out in another tab). */
export function isTokenChange(event: StorageEvent): boolean {
  return event.key === STORAGE_KEY || event.key === null;
}

/** The claims of a JWT, unverified; `undefined` when `token` is not a JWT carrying an email. */
export function claimsOf(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as {
      email?: unknown;
      exp?: unknown;
    };
    if (typeof claims.email !== 'string' || claims.email.trim() === '') return undefined;
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
    return { email: claims.email, expiresAt };
  } catch {
    return undefined;
  }
}
