import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The secret that signs and verifies the demo's bearer tokens. */
export interface JwtSecret {
  readonly secret: string;
  /** Where a generated development secret is kept; `undefined` when it came from JWT_SECRET. */
  readonly generatedFile: string | undefined;
}

/**
 * `JWT_SECRET` when set. Otherwise (development only; the environment validation requires
 * JWT_SECRET elsewhere) a random secret generated once and kept beside the embedded database,
 * so `npm run token` in another process signs tokens the running app accepts.
 */
export function resolveJwtSecret(env: { JWT_SECRET?: string; DEMO_DATA_DIR: string }): JwtSecret {
  if (env.JWT_SECRET !== undefined) return { secret: env.JWT_SECRET, generatedFile: undefined };
  const file = join(dirname(env.DEMO_DATA_DIR), 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return { secret: readFileSync(file, 'utf8').trim(), generatedFile: file };
}
