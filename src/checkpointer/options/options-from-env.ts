import { CheckpointerConfigError } from '../common/checkpointer.errors';
import type { CheckpointerModuleOptions } from './checkpointer.options';
import { port as portRule, postgresUrl } from './option-rules';

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
  const problems: string[] = [];
  const rawUrl = nonEmpty(env.DATABASE_URL);
  if (rawUrl !== undefined) {
    // The same URL rule as the connectionString option.
    const url = postgresUrl().resolve('DATABASE_URL', rawUrl, problems);
    if (url === undefined || problems.length > 0) {
      throw new CheckpointerConfigError(problems, 'environment');
    }
    return { connectionString: url };
  }

  const host = nonEmpty(env.PGHOST);
  const user = nonEmpty(env.PGUSER);
  const database = nonEmpty(env.PGDATABASE);
  if (host === undefined) problems.push('neither DATABASE_URL nor PGHOST is set');
  if (host !== undefined && user === undefined) problems.push('PGUSER is not set');
  if (host !== undefined && database === undefined) problems.push('PGDATABASE is not set');

  // The same port rule as the port option; absent stays absent (the option's default applies).
  const rawPort = nonEmpty(env.PGPORT);
  const port = rawPort === undefined ? undefined : portRule().resolve('PGPORT', rawPort, problems);

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
