import { permanentRefusal } from './connection-refusal';

const target = { host: 'db', port: 5432, database: 'agents', user: 'app' };
const redact = (message: string) => message.replace('s3cret', '***');
const pgError = (code: string, message = 'refused') => Object.assign(new Error(message), { code });

describe('permanentRefusal', () => {
  it.each(['28P01', '28000', '3D000', '42501'])('%s is permanent at boot', (code) => {
    expect(permanentRefusal(pgError(code), target, redact)?.code).toBe(code);
  });

  it.each(['53300', '57P03', '08006', 'ECONNREFUSED', undefined])(
    '%s is worth another attempt',
    (code) => {
      const error = code === undefined ? new Error('boom') : pgError(code);
      expect(permanentRefusal(error, target, redact)).toBeUndefined();
    },
  );

  it.each([
    ['SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string', 'none is set'],
    ['SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string', 'is empty'],
  ])('pg refusing to answer a SCRAM request without a password is permanent: %s', (text, says) => {
    const refusal = permanentRefusal(
      new Error('ping failed', { cause: new Error(text) }),
      target,
      redact,
    );
    expect(refusal?.code).toBeUndefined();
    expect(refusal?.message).toContain(`asks user "app" for a password and`);
    expect(refusal?.message).toContain(says);
    expect(refusal?.message).toMatch(/Not retried: retrying cannot fix it\.$/);
  });

  it('another SASL failure (a wrong server signature, say) is not taken for a missing password', () => {
    const error = new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature does not match');
    expect(permanentRefusal(error, target, redact)).toBeUndefined();
  });

  it('looks through cause, and redacts the server message', () => {
    const wrapped = new Error('ping failed', { cause: pgError('28P01', 'bad s3cret') });
    expect(permanentRefusal(wrapped, target, redact)?.message).toBe(
      'PostgreSQL at host db, port 5432, database "agents" refused the credentials of user "app" ' +
        '(28P01 invalid_password: bad ***): check the user and password. Not retried: retrying cannot fix it.',
    );
  });
});
