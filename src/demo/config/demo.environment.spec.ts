import { validateDemoEnvironment } from './demo.environment';

describe('validateDemoEnvironment: TURN_WAIT_MS', () => {
  it('unset leaves the library default; an integer of milliseconds from 0 to 600000 is taken', () => {
    expect(validateDemoEnvironment({}).TURN_WAIT_MS).toBeUndefined();
    expect(validateDemoEnvironment({ TURN_WAIT_MS: ' ' }).TURN_WAIT_MS).toBeUndefined();
    expect(validateDemoEnvironment({ TURN_WAIT_MS: '0' }).TURN_WAIT_MS).toBe(0);
    expect(validateDemoEnvironment({ TURN_WAIT_MS: '600000' }).TURN_WAIT_MS).toBe(600_000);
  });

  it.each(['-1', '1.5', '600001', '30s', '1e3'])('refuses %j, naming the variable', (value) => {
    expect(() => validateDemoEnvironment({ TURN_WAIT_MS: value })).toThrow(
      `TURN_WAIT_MS must be an integer of milliseconds from 0 to 600000, got ${JSON.stringify(value)}`,
    );
  });
});

describe('validateDemoEnvironment: THREAD_MAX_TURNS and THREAD_MAX_STATE_BYTES', () => {
  it('default to 1000 turns and 1 MiB; take an integer in range', () => {
    expect(validateDemoEnvironment({})).toMatchObject({
      THREAD_MAX_TURNS: 1000,
      THREAD_MAX_STATE_BYTES: 1_048_576,
    });
    expect(
      validateDemoEnvironment({ THREAD_MAX_TURNS: '1', THREAD_MAX_STATE_BYTES: '1024' }),
    ).toMatchObject({ THREAD_MAX_TURNS: 1, THREAD_MAX_STATE_BYTES: 1024 });
  });

  it.each([
    ['THREAD_MAX_TURNS', '0', 'from 1 to 1000000'],
    ['THREAD_MAX_TURNS', '2.5', 'from 1 to 1000000'],
    ['THREAD_MAX_TURNS', '1000001', 'from 1 to 1000000'],
    ['THREAD_MAX_STATE_BYTES', '1023', 'from 1024 to 1073741824'],
    ['THREAD_MAX_STATE_BYTES', '1MB', 'from 1024 to 1073741824'],
  ])('refuses %s=%j, naming the variable and its range', (name, value, range) => {
    expect(() => validateDemoEnvironment({ [name]: value })).toThrow(
      `${name} must be an integer ${range}, got ${JSON.stringify(value)}`,
    );
  });
});
