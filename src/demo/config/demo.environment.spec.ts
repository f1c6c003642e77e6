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
