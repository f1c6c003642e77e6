import { checkpointerOptionsFromEnv } from './options-from-env';
import { CheckpointerConfigError } from '../common/checkpointer.errors';

function errorOf(env: Record<string, string>): CheckpointerConfigError {
  try {
    checkpointerOptionsFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointerConfigError);
    return error as CheckpointerConfigError;
  }
  throw new Error('expected the environment to be rejected');
}

describe('checkpointerOptionsFromEnv', () => {
  it('prefers DATABASE_URL', () => {
    expect(
      checkpointerOptionsFromEnv({ DATABASE_URL: 'postgres://a:b@h/d', PGHOST: 'ignored' }),
    ).toEqual({ connectionString: 'postgres://a:b@h/d' });
  });

  it('reads the standard PG* variables', () => {
    expect(
      checkpointerOptionsFromEnv({
        PGHOST: 'db',
        PGPORT: '6543',
        PGUSER: 'app',
        PGPASSWORD: 'pw',
        PGDATABASE: 'agents',
        PGSSLMODE: 'require',
      }),
    ).toEqual({
      host: 'db',
      port: 6543,
      user: 'app',
      password: 'pw',
      database: 'agents',
      ssl: { rejectUnauthorized: false },
    });
  });

  it('reports everything missing or malformed, never the password', () => {
    expect(errorOf({}).problems).toEqual(['neither DATABASE_URL nor PGHOST is set']);
    const error = errorOf({ PGHOST: 'db', PGPORT: 'x99', PGPASSWORD: 'pw-123', PGSSLMODE: 'on' });
    expect(error.problems).toEqual([
      'PGUSER is not set',
      'PGDATABASE is not set',
      'PGPORT must be an integer 1-65535, got "x99"',
      'PGSSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full, got "on"',
    ]);
    expect(error.message).toMatch(/^Invalid environment: PGUSER is not set; /);
    expect(error.message).not.toContain('pw-123');
  });

  it('rejects a DATABASE_URL that is not a postgres URL without echoing it', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(error.problems).toEqual(['DATABASE_URL must be a postgres:// or postgresql:// URL']);
    expect(error.message).not.toContain('hunter2');
  });
});
