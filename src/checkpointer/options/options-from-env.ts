import { CheckpointerConfigError } from '../common/checkpointer.errors';
import type { CheckpointerModuleOptions } from './checkpointer.options';

type Env = Readonly<Record<string, string | undefined>>;

const SSL_MODES: Readonly<Record<string, CheckpointerModuleOptions['ssl']>> = {
  disable: false,
  allow: false,
  prefer: false,
  // libpq's `require` encrypts without verifying the certificate; `verify-*` verify it.
  require: { rejectUnauthorized: false },
  'verify-ca': true,
  'verify-full': true,
};

/**
 * Builds the connection part of the options from the environment: `DATABASE_URL` if set,
 * otherwise the standard libpq variables `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
 * `PGDATABASE` (and `PGSSLMODE`). Throws one `CheckpointerConfigError` naming every variable that
 * is missing or malformed; never echoes a password or URL.
 *
 * @example
 * CheckpointerModule.forRoot({ ...checkpointerOptionsFromEnv(), schema: 'agents' })
 */
export function checkpointerOptionsFromEnv(env: Env = process.env): CheckpointerModuleOptions {
  const url = nonEmpty(env.DATABASE_URL);
  if (url !== undefined) {
    if (!/^(postgres|postgresql):\/\//i.test(url)) {
      throw new CheckpointerConfigError(
        ['DATABASE_URL must be a postgres:// or postgresql:// URL'],
        'environment',
      );
    }
    return { connectionString: url };
  }

  const problems: string[] = [];
  const host = nonEmpty(env.PGHOST);
  const user = nonEmpty(env.PGUSER);
  const database = nonEmpty(env.PGDATABASE);
  if (host === undefined) problems.push('neither DATABASE_URL nor PGHOST is set');
  if (host !== undefined && user === undefined) problems.push('PGUSER is not set');
  if (host !== undefined && database === undefined) problems.push('PGDATABASE is not set');

  let port: number | undefined;
  const rawPort = nonEmpty(env.PGPORT);
  if (rawPort !== undefined) {
    port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      problems.push(`PGPORT must be an integer 1-65535, got ${JSON.stringify(rawPort)}`);
    }
  }

  const rawSslMode = nonEmpty(env.PGSSLMODE);
  if (rawSslMode !== undefined && !(rawSslMode in SSL_MODES)) {
    problems.push(
      `PGSSLMODE must be one of ${Object.keys(SSL_MODES).join(', ')}, got ${JSON.stringify(rawSslMode)}`,
    );
  }
  if (problems.length > 0) throw new CheckpointerConfigError(problems, 'environment');

  return {
    host,
    port,
    user,
    password: env.PGPASSWORD,
    database,
    ...(rawSslMode !== undefined ? { ssl: SSL_MODES[rawSslMode] } : {}),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
