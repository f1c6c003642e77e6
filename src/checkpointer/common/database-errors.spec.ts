import { DatabaseError } from 'pg';
import {
  PoolExhaustedError,
  TransientDatabaseError,
  classifyDatabaseError,
  markFromOurConnection,
  isPreparedStatementConflict,
  markNeverSent,
  markStalePreparedPlan,
} from './database-errors';

/** An error shaped exactly as pg raises a server error. */
function serverError(code: string, message = 'server said no'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

/** An error shaped as Node raises a socket error. */
function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
}

describe('classifyDatabaseError: the table', () => {
  it.each([
    // [code, kind, neverSent]
    ['08000', 'connection', false],
    ['08003', 'connection', false],
    ['08006', 'connection', false],
    ['08P01', 'connection', false],
    ['08001', 'connection', true],
    ['08004', 'connection', true],
    ['57P01', 'connection', false],
    ['57P02', 'connection', false],
    ['57P03', 'connection', true],
    ['53300', 'too-many-connections', true],
    ['40001', 'serialization', false],
    ['40P01', 'serialization', false],
    ['26000', 'prepared-statement', false],
    ['42P05', 'prepared-statement', false],
  ])('SQLSTATE %s is %s (never sent: %s), retryable', (code, kind, neverSent) => {
    expect(classifyDatabaseError(serverError(code))).toEqual({
      kind,
      retryable: true,
      neverSent,
      code,
      fromOurConnection: false,
    });
  });

  it.each([
    ['ECONNRESET', false],
    ['EPIPE', false],
    ['ETIMEDOUT', false],
    ['ECONNABORTED', false],
    ['ECONNREFUSED', true],
    ['EHOSTUNREACH', true],
    ['ENETUNREACH', true],
    ['EAI_AGAIN', true],
  ])('errno %s is a connection error (never sent: %s)', (code, neverSent) => {
    expect(classifyDatabaseError(socketError(code))).toEqual({
      kind: 'connection',
      retryable: true,
      neverSent,
      code,
      fromOurConnection: false,
    });
  });

  it.each([
    ['42P01', 'undefined_table: "relation ... does not exist"'],
    ['42703', 'undefined_column'],
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    ['42601', 'syntax_error'],
    ['42501', 'insufficient_privilege'],
    ['22P02', 'invalid_text_representation'],
    ['57014', 'query_canceled (statement_timeout): re-running the same query times out again'],
    ['25P02', 'in_failed_sql_transaction'],
    ['ENOTFOUND', 'a host name that does not resolve'],
  ])('%s (%s) is permanent', (code) => {
    expect(classifyDatabaseError(serverError(code))).toEqual({
      kind: 'permanent',
      retryable: false,
      neverSent: false,
      code,
      fromOurConnection: false,
    });
  });

  it('0A000 is permanent, unless the connection marked it a stale prepared plan', () => {
    const unsupported = serverError('0A000', 'cached plan must not change result type');
    expect(classifyDatabaseError(unsupported).kind).toBe('permanent');
    expect(isPreparedStatementConflict(unsupported)).toBe(false);
    const stale = markStalePreparedPlan(serverError('0A000', 'anything at all'));
    expect(classifyDatabaseError(stale)).toEqual({
      kind: 'prepared-statement',
      retryable: true,
      neverSent: false,
      code: '0A000',
      fromOurConnection: false,
    });
    expect(isPreparedStatementConflict(stale)).toBe(true);
  });

  it('never classifies by message text: "does not exist" without a code is permanent', () => {
    for (const message of [
      'prepared statement "_pg3_1" does not exist',
      'relation "threads" does not exist',
      'server closed the connection unexpectedly',
      'SSL connection has been closed unexpectedly',
      'connection reset',
    ]) {
      expect(classifyDatabaseError(new Error(message)).kind).toBe('permanent');
    }
  });

  it('pg\'s "Connection terminated unexpectedly" (no code) is a connection error', () => {
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toEqual({
      kind: 'connection',
      retryable: true,
      neverSent: false,
      code: undefined,
      fromOurConnection: false,
    });
  });

  it('PoolExhaustedError is its own kind, never sent, and not retried by default', () => {
    expect(classifyDatabaseError(new PoolExhaustedError(100, 4))).toEqual({
      kind: 'pool-exhausted',
      retryable: false,
      neverSent: true,
      code: undefined,
      fromOurConnection: false,
    });
  });

  it('knows an error came through one of our connections, through its causes too', () => {
    const ours = markFromOurConnection(socketError('ECONNRESET'));
    expect(classifyDatabaseError(ours)).toMatchObject({
      kind: 'connection',
      fromOurConnection: true,
    });
    const wrapped = new Error('ROLLBACK failed', { cause: ours });
    expect(classifyDatabaseError(wrapped).fromOurConnection).toBe(true);
    expect(classifyDatabaseError(socketError('ECONNRESET')).fromOurConnection).toBe(false);
  });

  it('a TransientDatabaseError (a policy gave up on it) is not retried again', () => {
    const gaveUp = new TransientDatabaseError('gave up', 'connection', 4, {
      cause: socketError('ECONNRESET'),
    });
    expect(classifyDatabaseError(gaveUp, () => true)).toMatchObject({
      kind: 'connection',
      retryable: false,
    });
  });

  it('non-errors are permanent', () => {
    for (const value of [undefined, null, 'ECONNRESET', 42, { code: 40001 }]) {
      expect(classifyDatabaseError(value).kind).toBe('permanent');
    }
  });
});

describe('classifyDatabaseError: causes, marks and the application classifier', () => {
  it('looks through cause: a ROLLBACK failing on a lost connection', () => {
    const rollback = new Error('Client has encountered a connection error and is not queryable', {
      cause: serverError('57P01', 'terminating connection due to administrator command'),
    });
    expect(classifyDatabaseError(rollback)).toMatchObject({ kind: 'connection', code: '57P01' });
  });

  it('looks through AggregateError.errors (every address of a host refused)', () => {
    const aggregate = new AggregateError([
      socketError('ECONNREFUSED'),
      socketError('ECONNREFUSED'),
    ]);
    expect(classifyDatabaseError(aggregate)).toMatchObject({ kind: 'connection', neverSent: true });
  });

  it('markNeverSent: an error raised while acquiring a connection', () => {
    const lost = markNeverSent(new Error('Connection terminated unexpectedly'));
    expect(classifyDatabaseError(lost)).toMatchObject({ kind: 'connection', neverSent: true });
    const wrapped = new Error('Connection terminated due to connection timeout', { cause: lost });
    expect(classifyDatabaseError(markNeverSent(wrapped)).neverSent).toBe(true);
  });

  it('the application classifier turns a permanent error into a retryable one', () => {
    const custom = Object.assign(new Error('read-only replica'), { code: '25006' });
    const isTransient = (e: unknown) => (e as { code?: string }).code === '25006';
    expect(classifyDatabaseError(custom).retryable).toBe(false);
    expect(classifyDatabaseError(custom, isTransient)).toMatchObject({
      kind: 'application',
      retryable: true,
    });
  });

  it('the application classifier may opt pool exhaustion into retries', () => {
    const exhausted = new PoolExhaustedError(100, 4);
    expect(classifyDatabaseError(exhausted, (e) => e instanceof PoolExhaustedError)).toMatchObject({
      kind: 'pool-exhausted',
      retryable: true,
    });
  });

  it('the application classifier cannot make a transient error permanent', () => {
    expect(classifyDatabaseError(serverError('40001'), () => false).retryable).toBe(true);
  });

  it('isPreparedStatementConflict: 26000 and 42P05 only', () => {
    expect(isPreparedStatementConflict(serverError('26000'))).toBe(true);
    expect(isPreparedStatementConflict(serverError('42P05'))).toBe(true);
    expect(isPreparedStatementConflict(serverError('42P01'))).toBe(false);
    expect(isPreparedStatementConflict(new Error('prepared statement "x" does not exist'))).toBe(
      false,
    );
  });
});
