import type { CheckpointerLogger } from '../common/checkpointer.logger';
import type { PreparedStatementsMode } from '../options/checkpointer.options';
import {
  PREPARED_SHAPES_PER_CONNECTION,
  PreparedStatements,
  isPreparable,
  preparable,
  statementName,
} from './prepared-statements';

function logger() {
  return { log: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() };
}

function statements(mode: PreparedStatementsMode, declaredPooler = false) {
  const log = logger();
  return {
    log,
    policy: new PreparedStatements(mode, declaredPooler, log as unknown as CheckpointerLogger),
  };
}

describe('statementName', () => {
  it('is the same for the same text, different for another, and a valid identifier', () => {
    const name = statementName('SELECT $1::int');
    expect(statementName('SELECT $1::int')).toBe(name);
    expect(statementName('SELECT $1::int ')).not.toBe(name);
    expect(name).toMatch(/^cp_[0-9a-f]{24}$/);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  });
});

describe('PreparedStatements.nameOf', () => {
  it('is statementName, remembered for a bounded number of recent texts', () => {
    const { policy } = statements('on');
    const names = policy as unknown as { names: Map<string, string> };
    expect(policy.nameOf('SELECT 1')).toBe(statementName('SELECT 1'));
    const bound = 4 * PREPARED_SHAPES_PER_CONNECTION;
    for (let i = 0; i < bound * 3; i += 1) {
      expect(policy.nameOf(`SELECT ${i}`)).toBe(statementName(`SELECT ${i}`));
    }
    expect(names.names.size).toBe(bound);
    // The oldest went first; the latest are kept.
    expect(names.names.has('SELECT 1')).toBe(false);
    expect(names.names.has(`SELECT ${bound * 3 - 1}`)).toBe(true);
  });
});

describe('preparable', () => {
  it('marks a copy of the config, and nothing else is marked', () => {
    const config = { text: 'SELECT 1', values: [] };
    expect(isPreparable(preparable(config))).toBe(true);
    expect(isPreparable(config)).toBe(false);
    expect(isPreparable({ ...preparable(config), values: [1] })).toBe(true);
    expect(isPreparable('SELECT 1')).toBe(false);
  });
});

describe('PreparedStatements', () => {
  it("'auto' is off until a connection shows the backend key is the backend, then on", () => {
    const { policy, log } = statements('auto');
    expect(policy.active).toBe(false);
    policy.observeBackend(4242, 4242);
    expect(policy.active).toBe(true);
    policy.observeBackend(4243, 4243);
    expect(log.log).toHaveBeenCalledTimes(1);
    expect(policy.state).toEqual({
      mode: 'auto',
      active: true,
      reason: 'direct connection: the backend key is the backend',
    });
  });

  it("'auto' behind a pooler (the key is not the backend) is off, with a WARN if it was on", () => {
    const quiet = statements('auto');
    quiet.policy.observeBackend(99_000_001, 4242);
    expect(quiet.policy.active).toBe(false);
    expect(quiet.log.warn).not.toHaveBeenCalled();
    expect(quiet.log.log).toHaveBeenCalledWith(expect.stringContaining('a pooler answers'));

    const late = statements('auto');
    late.policy.observeBackend(4242, 4242);
    late.policy.observeBackend(99_000_001, 4242);
    late.policy.observeBackend(4242, 4242); // never back on
    expect(late.policy.active).toBe(false);
    expect(late.log.warn).toHaveBeenCalledTimes(1);
  });

  it("'auto' with a declared pooler (migrationConnectionString) never turns on", () => {
    const { policy } = statements('auto', true);
    policy.observeBackend(4242, 4242);
    expect(policy.state).toEqual({
      mode: 'auto',
      active: false,
      reason: 'migrationConnectionString is set: the main target is a pooler',
    });
  });

  it("'on' ignores the probe, 'off' is never on", () => {
    const on = statements('on', true).policy;
    on.observeBackend(1, 2);
    expect(on.active).toBe(true);
    const off = statements('off').policy;
    off.observeBackend(1, 1);
    expect(off.active).toBe(false);
  });

  it('a conflict turns it off for good, with one WARN however many conflicts follow', () => {
    const { policy, log } = statements('on');
    policy.conflict('26000');
    policy.conflict('42P05');
    expect(policy.active).toBe(false);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(policy.state.reason).toContain('26000');
  });

  it('a stale plan bumps the epoch once for the connections of that epoch', () => {
    const { policy, log } = statements('on');
    policy.planInvalidated(0);
    policy.planInvalidated(0);
    expect(policy.planEpoch).toBe(1);
    policy.planInvalidated(1);
    expect(policy.planEpoch).toBe(2);
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(policy.active).toBe(true);
  });

  it('wants marked statements and allow-listed texts only', () => {
    const { policy } = statements('on');
    policy.allow(['select 1']);
    expect(policy.wants('select 1')).toBe(true);
    expect(policy.wants('select 2')).toBe(false);
    expect(policy.wants('select 2', preparable({ text: 'select 2' }))).toBe(true);
  });
});
